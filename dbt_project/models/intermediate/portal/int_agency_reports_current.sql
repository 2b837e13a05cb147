{#-
    One row per agency and month reported on: the report's current state, i.e. its received state
    with the latest NgayCapNhat (source_updated_at); ties by the latest received, then record_hash.
    A report returned for revision and sent again is current as sent (with the new sending time).
-#}
with

reports as (

    select * from {{ ref('stg_agency_work__agency_reports') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by agency_code, month
            order by source_updated_at desc, received_at desc, record_hash desc
        ) as state_rank
    from reports

),

final as (

    select
        month,
        agency_code,
        status_code,
        sent_at,
        source_updated_at,
        record_hash,
        received_at
    from ranked
    where state_rank = 1

)

select * from final
