-- The portal's procedure catalog: every received version of every procedure (key: its national
-- code, e.g. 1.001612), exactly as sent. Versions are told apart by the hash of their content.
create table if not exists raw.dvc_portal__formality (
    procedure_code  text        not null,
    record_hash     text        not null,
    payload         jsonb       not null,
    batch_id        bigint      not null references audit.load_batch (batch_id),
    received_at     timestamptz not null,
    primary key (procedure_code, record_hash)
);

-- The portal's official service index (Decision 766/QĐ-TTg): one row per agency x group x month
-- x metric code x distinct content. `metric` is the item of `data.metrics` exactly as sent (any
-- number may be null and stays null); the request that produced it is kept as columns and, with
-- the item, in `payload` ({group, year, month, departmentCode, metric}), whose hash is record_hash.
-- A metric the portal later revises for the same month is a new row; the mart takes the latest.
create table if not exists raw.dvc_portal__evaluation_metric (
    agency_code      text        not null,
    indicator_group  text        not null,
    period_year      integer     not null,
    period_month     integer     not null check (period_month between 1 and 12),
    metric_code      text        not null,
    metric           jsonb       not null,
    record_hash      text        not null,
    payload          jsonb       not null,
    batch_id         bigint      not null references audit.load_batch (batch_id),
    received_at      timestamptz not null,
    primary key (agency_code, indicator_group, period_year, period_month, metric_code, record_hash)
);
