-- One row per extraction attempt (contract: docs/contracts/marts.md, "audit.load_batch").
create table if not exists audit.load_batch (
    batch_id          bigint generated always as identity primary key,
    source            text        not null,
    entity            text        not null,
    interval_start    timestamptz,
    interval_end      timestamptz,
    started_at        timestamptz not null default now(),
    finished_at       timestamptz,
    status            text        not null default 'running'
                      check (status in ('running', 'success', 'failed', 'abandoned')),
    rows_received     integer     not null default 0,
    rows_loaded       integer     not null default 0,
    rows_quarantined  integer     not null default 0,
    rows_duplicate    integer     not null default 0,
    error             text,
    run_label         text
);
create index if not exists load_batch_source_idx on audit.load_batch (source, started_at);

-- `abandoned`: a batch left `running` by a process that died (kill -9, OOM, lost worker), marked so by
-- the next run (ioc_pipeline/warehouse/batches.py). Databases bootstrapped before it get the new check.
do $$
begin
    if not exists (select 1 from pg_constraint
                    where conrelid = 'audit.load_batch'::regclass and contype = 'c'
                      and pg_get_constraintdef(oid) like '%abandoned%') then
        alter table audit.load_batch drop constraint if exists load_batch_status_check;
        alter table audit.load_batch add constraint load_batch_status_check
            check (status in ('running', 'success', 'failed', 'abandoned'));
    end if;
end $$;

-- Who holds the warehouse run lock (ioc_pipeline/warehouse/lock.py): at most one row, written by the
-- run command once it holds the advisory lock and deleted when it lets go, so a refused run can name
-- the holder. A row whose backend_pid no longer holds the lock is left over from a killed run.
create table if not exists audit.run_lock_holder (
    lock_name       text        primary key,
    run_label       text        not null,
    pid             integer     not null,
    host            text        not null,
    backend_pid     integer     not null,
    since           timestamptz not null default now(),
    interval_from   date,
    interval_to     date
);

-- One row per failed Airflow task, written by the alert notifier (ioc_pipeline/airflow_glue/alerts.py)
-- when IOC_ALERT_TARGET includes `table`; the auditor role reads it (default privileges of audit).
create table if not exists audit.alert (
    alert_id        bigint generated always as identity primary key,
    dag_id          text        not null,
    task_id         text,
    run_id          text,
    logical_date    timestamptz,
    try_number      integer,
    error           text,
    at              timestamptz not null default now()
);

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

-- Batch-scoped data tests (issue 14, ioc_pipeline/warehouse/test_watermark.py): one row per build run,
-- written before dbt starts. through_batch_id: every load batch up to it had finished (success, failed or
-- abandoned: its rows visible or none) when the build began, so the build's tests saw all their rows.
-- since_batch_id: the through_batch_id of the last PUBLISHED build (its tests passed), passed to dbt as
-- var test_since_batch; null = that build tested every row.
create table if not exists audit.dbt_test_watermark (
    run_label         text        primary key,
    since_batch_id    bigint,
    through_batch_id  bigint      not null,
    recorded_at       timestamptz not null default now()
);
-- started_at: when the build's first begin_build ran (kept when a retried task records again), before any
-- dbt node of the run. The data tests on the 1 M-row intermediate tables look only at the rows derived
-- since the last PUBLISHED build's started_at (dbt var test_since_derived_at, macros/new_batches.sql).
-- Null for the rows written before the column existed: such a build counts as "test every row".
alter table audit.dbt_test_watermark add column if not exists started_at timestamptz;
