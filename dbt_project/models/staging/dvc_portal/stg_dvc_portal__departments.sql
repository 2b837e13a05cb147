{#-
    One row per received version of an agency record from the portal's department list.
    validFrom / validTo are ISO dates ('YYYY-MM-DD'; a time part, if any, is ignored).
-#}
with

source as (

    select
        agency_code,
        record_hash,
        payload,
        batch_id,
        received_at
    from {{ source('dvc_portal', 'dvc_portal__department') }}

),

renamed as (

    select
        -- ids
        agency_code,
        record_hash,
        nullif(btrim(payload ->> 'parentCode'), '') as parent_code,
        nullif(btrim(payload ->> 'adminUnitCode'), '') as admin_unit_code,

        -- attributes
        payload ->> 'name' as agency_name,
        upper(btrim(payload ->> 'level')) as level,

        -- validity (dates)
        left(nullif(btrim(payload ->> 'validFrom'), ''), 10)::date as valid_from,
        left(nullif(btrim(payload ->> 'validTo'), ''), 10)::date as valid_to,

        -- load metadata
        received_at,
        batch_id

    from source

)

select * from renamed
