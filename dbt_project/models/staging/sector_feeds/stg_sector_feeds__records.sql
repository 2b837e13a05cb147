{#-
    Every stored version of every sector feed record, with the columns its declaration marks
    personal replaced by their keyed hash (computed by the loader): record = payload without the
    personal columns, plus `<column>_key` = HMAC-SHA-256 of the value (null stays null).
-#}
with

records as (

    select * from {{ source('sector_feeds', 'sector_feed_record') }}

),

declarations as (

    select * from {{ source('sector_feeds', 'sector_feed_declaration') }}

),

renamed as (

    select
        records.feed_name,
        records.record_key,
        records.record_hash,
        (records.payload - coalesce(declarations.personal_columns, '{}'::text[]))
            || coalesce((
                select jsonb_object_agg(personal.key || '_key', personal.value)
                from jsonb_each(records.personal_keys) as personal
            ), '{}'::jsonb) as record,
        records.batch_id,
        records.received_at
    from records
    left join declarations
        on declarations.feed_name = records.feed_name

)

select * from renamed
