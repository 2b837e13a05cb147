-- Warehouse bootstrap. Idempotent: safe to run before every pipeline run.
--
-- Layers: raw (as received, personal data, locked) -> staging -> intermediate -> marts (IOC),
-- plus dq (data-quality results) and audit (load batches, dbt node runs) for auditors.
-- The role that runs this script is "the pipeline's own role": it owns every schema and is the
-- only one that can read raw.

create schema if not exists raw;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists dq;
create schema if not exists audit;

-- Roles are cluster-wide; create them once, never fail when they exist.
-- Another database on the same server may be creating them at this very moment: tolerate that.
do $$
begin
    create role ioc_reader nologin;
exception when duplicate_object or unique_violation then null;
end
$$;
do $$
begin
    create role auditor nologin;
exception when duplicate_object or unique_violation then null;
end
$$;

-- Nobody but the owner sees raw, staging or intermediate.
revoke all on schema raw, staging, intermediate from public;
revoke all on all tables in schema raw from public;

-- The IOC BI tool: marts only, including tables built later.
grant usage on schema marts to ioc_reader, auditor;
grant select on all tables in schema marts to ioc_reader, auditor;
alter default privileges in schema marts grant select on tables to ioc_reader, auditor;

-- Auditors additionally read data-quality results and load history.
grant usage on schema dq, audit to auditor;
grant select on all tables in schema dq, audit to auditor;
alter default privileges in schema dq grant select on tables to auditor;
alter default privileges in schema audit grant select on tables to auditor;

-- One row per extraction attempt (contract: marts.md, "audit.load_batch").
create table if not exists audit.load_batch (
    batch_id          bigint generated always as identity primary key,
    source            text        not null,
    entity            text        not null,
    interval_start    timestamptz,
    interval_end      timestamptz,
    started_at        timestamptz not null default now(),
    finished_at       timestamptz,
    status            text        not null default 'running'
                      check (status in ('running', 'success', 'failed')),
    rows_received     integer     not null default 0,
    rows_loaded       integer     not null default 0,
    rows_quarantined  integer     not null default 0,
    rows_duplicate    integer     not null default 0,
    error             text,
    run_label         text
);
create index if not exists load_batch_source_idx on audit.load_batch (source, started_at);

-- One row per dbt node execution, written by the project's on-run-end hook.
create table if not exists audit.dbt_node_run (
    invocation_id   text        not null,
    node_id         text        not null,
    resource_type   text        not null,
    status          text        not null,
    execution_time  double precision,
    rows_affected   bigint,
    message         text,
    finished_at     timestamptz not null default now(),
    primary key (invocation_id, node_id)
);

-- Every received version of every dossier, exactly as the one-stop-shop API sent it.
-- A version is identified by the hash of its canonical JSON: a record delivered twice
-- (two pages, two overlapping intervals, a re-run) is stored once.
-- applicant_key is the keyed hash of SoDinhDanh, computed by the loader so the secret key
-- never enters the database; the clear number stays inside payload, in this locked schema.
create table if not exists raw.one_stop_shop__dossier (
    dossier_code       text        not null,
    record_hash        text        not null,
    source_updated_at  timestamptz not null,
    applicant_key      text,
    payload            jsonb       not null,
    batch_id           bigint      not null references audit.load_batch (batch_id),
    received_at        timestamptz not null,
    primary key (dossier_code, record_hash)
);
create index if not exists one_stop_shop__dossier_updated_idx
    on raw.one_stop_shop__dossier (source_updated_at);

-- Every received version of every agency record of the portal's department list.
create table if not exists raw.dvc_portal__department (
    agency_code   text        not null,
    record_hash   text        not null,
    payload       jsonb       not null,
    batch_id      bigint      not null references audit.load_batch (batch_id),
    received_at   timestamptz not null,
    primary key (agency_code, record_hash)
);

-- Records that could not be read, with the reason and the original content (as text,
-- since it may not even be valid JSON). Same record + same reason is kept once.
create table if not exists raw.quarantine (
    source        text        not null,
    entity        text        not null,
    record_hash   text        not null,
    record_key    text,
    reason        text        not null,
    content       text        not null,
    batch_id      bigint      not null references audit.load_batch (batch_id),
    received_at   timestamptz not null,
    primary key (source, entity, record_hash)
);

-- Data-quality results (contract: marts.md, schemas dq and audit).
create table if not exists dq.validation_run (
    validation_run_id  bigint generated always as identity primary key,
    run_label          text,
    checkpoint_name    text        not null,
    suite_name         text        not null,
    table_checked      text        not null,
    run_at             timestamptz not null default now(),
    success            boolean     not null,
    status             text        not null check (status in ('pass', 'warn', 'fail')),
    evaluated          integer     not null,
    passed             integer     not null,
    warned             integer     not null,
    failed             integer     not null,
    report_path        text
);

create table if not exists dq.validation_result (
    validation_run_id  bigint      not null references dq.validation_run (validation_run_id),
    expectation_type   text        not null,
    column_name        text,
    severity           text        not null check (severity in ('critical', 'warning')),
    success            boolean     not null,
    observed_value     text,
    unexpected_count   bigint,
    unexpected_percent double precision,
    suite_name         text        not null,
    table_checked      text        not null,
    kwargs             jsonb       not null default '{}'::jsonb
);
