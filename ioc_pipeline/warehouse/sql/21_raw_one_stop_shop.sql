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
