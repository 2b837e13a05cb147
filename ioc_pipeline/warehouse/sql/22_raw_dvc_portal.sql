-- Every received version of every agency record of the portal's department list.
create table if not exists raw.dvc_portal__department (
    agency_code   text        not null,
    record_hash   text        not null,
    payload       jsonb       not null,
    batch_id      bigint      not null references audit.load_batch (batch_id),
    received_at   timestamptz not null,
    primary key (agency_code, record_hash)
);
