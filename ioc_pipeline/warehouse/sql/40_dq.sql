-- Data-quality results (contract: docs/contracts/marts.md, schemas dq and audit).
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
