-- Sector data feeds declared by configuration (feeds/*.yml; docs/contracts/sources.md "Sector data
-- feeds"). One table for every feed: a record is kept as received (JSON; a CSV row as an object of
-- its cells, empty cells as null; personal columns included: raw is the owner's alone), keyed by the feed, the values of its declared key columns and the
-- hash of its content, so a record delivered twice is stored once and a changed one is a new version.
create table if not exists raw.sector_feed_record (
    feed_name    text        not null,
    record_key   text        not null,
    record_hash  text        not null,
    payload      jsonb       not null,
    -- {column: HMAC-SHA-256 keyed hash} of the columns declared personal, computed by the loader
    -- (PII_HASH_KEY) before the row reaches the database; what leaves raw instead of the values.
    personal_keys jsonb      not null default '{}'::jsonb,
    batch_id     bigint      not null references audit.load_batch (batch_id),
    received_at  timestamptz not null,
    primary key (feed_name, record_key, record_hash)
);
create index if not exists sector_feed_record_batch_idx on raw.sector_feed_record (batch_id);

-- The declarations as last loaded (one row a feed declared in the feeds folder), so that dbt knows
-- what is declared even for a feed that never delivered anything. Rewritten from the folder by every
-- feed run and by `python -m ioc_pipeline check-feeds --declare`.
create table if not exists raw.sector_feed_declaration (
    feed_name            text        primary key,
    owner_agency         text        not null,
    sector               text        not null,
    description          text        not null,
    source_kind          text        not null check (source_kind in ('http', 'file_drop')),
    source_location      text        not null,
    format               text        not null check (format in ('csv', 'json')),
    cadence              text        not null check (cadence in ('hourly', 'daily', 'monthly')),
    freshness_sla_hours  integer     not null check (freshness_sla_hours > 0),
    key_columns          text[]      not null,
    timestamp_column     text        not null,
    required_columns     text[]      not null,
    personal_columns     text[]      not null default '{}',
    declaration          jsonb       not null,
    declaration_hash     text        not null,
    declared_at          timestamptz not null default now()
);
