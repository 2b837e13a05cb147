-- The declared sector feeds, one row a feed (raw.sector_feed_declaration); column lists as
-- comma-separated text.
with

source as (

    select * from {{ source('sector_feeds', 'sector_feed_declaration') }}

),

renamed as (

    select
        feed_name,
        owner_agency,
        sector,
        description,
        source_kind,
        source_location,
        format,
        cadence,
        freshness_sla_hours,
        array_to_string(key_columns, ',') as key_columns,
        timestamp_column,
        array_to_string(required_columns, ',') as required_columns,
        array_to_string(personal_columns, ',') as personal_columns,
        declaration_hash,
        declared_at
    from source

)

select * from renamed
