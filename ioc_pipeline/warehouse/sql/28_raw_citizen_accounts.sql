-- Citizen accounts of the national public-service portal per agency and month (docs/contracts/sources.md
-- §5): one row per agency x month x distinct content. The item does not name its month, so it is
-- stored with its request: payload = {year, month, departmentCode, item}; record_hash is the hash of that payload.
-- A figure the portal later revises for the same month is a new row; staging takes the latest received.
create table if not exists raw.dvc_portal__citizen_accounts (
    agency_code    text        not null,
    period_year    integer     not null,
    period_month   integer     not null check (period_month between 1 and 12),
    record_hash    text        not null,
    payload        jsonb       not null,
    batch_id       bigint      not null references audit.load_batch (batch_id),
    received_at    timestamptz not null,
    primary key (agency_code, period_year, period_month, record_hash)
);
