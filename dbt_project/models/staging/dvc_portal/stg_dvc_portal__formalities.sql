{#-
    One row per received version of a procedure of the portal's catalog (formalities), typed.
    Booleans and numbers are read from the JSON as sent; an absent value is null.
-#}
with

source as (

    select
        procedure_code,
        record_hash,
        payload,
        batch_id,
        received_at
    from {{ source('dvc_portal', 'dvc_portal__formality') }}

),

renamed as (

    select
        -- ids
        procedure_code,
        record_hash,

        -- attributes
        payload ->> 'name' as procedure_name,
        nullif(btrim(payload ->> 'sectorCode'), '') as sector_code,
        payload ->> 'sectorName' as sector_name,
        case
            when jsonb_typeof(payload -> 'levels') = 'array'
                then array_to_string(array(
                    select upper(btrim(level_code))
                    from jsonb_array_elements_text(payload -> 'levels') as levels (level_code)
                    order by 1
                ), ',')
        end as levels,
        nullif(upper(btrim(payload ->> 'onlineLevel')), '') as online_level,
        (payload ->> 'hasFee')::boolean as has_fee,
        (payload ->> 'feeReducedOnline')::boolean as fee_reduced_online,
        (payload ->> 'processingTime')::numeric as processing_time,
        nullif(upper(btrim(payload ->> 'processingTimeUnit')), '') as processing_time_unit,
        (payload ->> 'paperResult')::boolean as paper_result,
        nullif(upper(btrim(payload ->> 'state')), '') as state,

        -- load metadata
        received_at,
        batch_id

    from source

)

select * from renamed
