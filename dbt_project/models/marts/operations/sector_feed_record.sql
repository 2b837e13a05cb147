{#-
    Breakthrough 1 (centralised data): the latest known state of every record of every declared
    sector feed, one row per (feed, key).

    record       = the version of the key received last (received_at, then batch_id), as jsonb
                   (personal columns replaced by their keyed hash `<column>_key` in staging);
    versions     = how many distinct versions of the key were received;
    first_seen_at / last_seen_at = received_at of its first / latest version;
    observed_at  = the value of the feed's declared timestamp column in that record, as sent.
    Feeds no longer declared (YAML file removed) are left out; their records stay in raw.
-#}
with

records as (

    select * from {{ ref('stg_sector_feeds__records') }}

),

declarations as (

    select * from {{ ref('stg_sector_feeds__declarations') }}

),

latest as (

    select distinct on (feed_name, record_key)
        feed_name,
        record_key,
        record,
        record_hash
    from records
    order by feed_name, record_key, received_at desc, batch_id desc

),

history as (

    select
        feed_name,
        record_key,
        count(*) as versions,
        min(received_at) as first_seen_at,
        max(received_at) as last_seen_at
    from records
    group by feed_name, record_key

),

final as (

    select
        latest.feed_name,
        declarations.sector,
        declarations.owner_agency,
        latest.record_key,
        latest.record,
        latest.record_hash,
        latest.record ->> declarations.timestamp_column as observed_at,
        history.versions::integer as versions,
        history.first_seen_at,
        history.last_seen_at
    from latest
    inner join declarations
        on declarations.feed_name = latest.feed_name
    inner join history
        on history.feed_name = latest.feed_name
        and history.record_key = latest.record_key

)

select * from final
