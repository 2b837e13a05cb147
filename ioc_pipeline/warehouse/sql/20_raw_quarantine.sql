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
