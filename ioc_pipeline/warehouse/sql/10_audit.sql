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
-- The run a dbt node result belongs to (the run command's label or the Airflow run id, dbt var
-- run_label): Cosmos runs one dbt invocation per node, so invocation_id alone does not group a run.
alter table audit.dbt_node_run add column if not exists run_label text;
create index if not exists dbt_node_run_run_label_idx on audit.dbt_node_run (run_label, finished_at);
