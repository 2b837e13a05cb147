{#-
    The portal's procedure catalog, one row per procedure: its latest received version (the
    catalog is loaded whole every night; a changed procedure is a new version in raw).
-#}
with

versions as (

    select
        *,
        row_number() over (
            partition by procedure_code
            order by received_at desc, batch_id desc, record_hash
        ) as version_rank
    from {{ ref('stg_dvc_portal__formalities') }}

),

final as (

    select
        -- ids
        procedure_code,

        -- attributes
        procedure_name,
        sector_code,
        sector_name,
        levels,
        online_level,
        has_fee,
        fee_reduced_online,
        processing_time,
        processing_time_unit,
        paper_result,
        state,
        coalesce(state = 'CONG_KHAI', false) as is_in_force,

        -- load metadata
        received_at as last_received_at

    from versions
    where version_rank = 1

)

select * from final
