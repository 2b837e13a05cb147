-- Atomic publication of the marts (ioc_pipeline/warehouse/publish.py, docs/contracts/marts.md
-- "Publication of the marts").
--
-- dbt builds the marts in `marts_build` (dbt var marts_schema); once the build and the data-quality
-- checks passed, every mart moves into `marts` in one transaction. Readers (ioc_reader, auditor) never
-- see marts_build: a half-built or unchecked set is the owner's alone.
create schema if not exists marts_build;
revoke all on schema marts_build from public;
revoke all on schema marts_build from ioc_reader, auditor;
-- The table a publication replaces, for each incremental mart (fct_dossier): the next build starts from
-- it (publish.py "Incremental marts"). As private as marts_build.
create schema if not exists marts_previous;
revoke all on schema marts_previous from public;
revoke all on schema marts_previous from ioc_reader, auditor;

-- One row per publication attempt: published (the new set is in marts), refused (the build of the run
-- did not pass, or marts_build did not hold every mart: the previous set stays) or failed (an error,
-- e.g. a reader held a mart past the lock wait: the previous set stays). The auditor reads it (default
-- privileges of audit).
create table if not exists audit.marts_publication (
    publication_id  bigint generated always as identity primary key,
    run_label       text,
    attempted_at    timestamptz not null default now(),
    published_at    timestamptz,
    status          text        not null check (status in ('published', 'refused', 'failed')),
    marts_count     integer     not null default 0,
    marts           text[]      not null default '{}',
    reason          text,
    lock_wait_seconds double precision
);
create index if not exists marts_publication_run_label_idx on audit.marts_publication (run_label, attempted_at);
