{#-
    The portal's official service index (Decision 766/QĐ-TTg) as loaded: one row per month x agency
    x group x metric, the latest received version (the portal may revise a month). Numbers are kept
    as sent (nulls stay null, nothing rounded); ratio is the portal's percentage / 100, so that it is
    a rate in [0, 1] like every rate in marts; ratio_percent keeps it as sent.
-#}
with

versions as (

    select
        *,
        row_number() over (
            partition by month, agency_code, indicator_group, metric_code
            order by received_at desc, batch_id desc, record_hash
        ) as version_rank
    from {{ ref('stg_dvc_portal__evaluation_metrics') }}

),

final as (

    select
        -- grain
        month,
        agency_code,
        indicator_group,
        metric_code,

        -- the portal's numbers
        metric_name,
        numerator,
        denominator,
        ratio_percent * 0.01 as ratio,  -- exact: no division digits added
        ratio_percent,
        score,
        max_score,

        -- load metadata
        received_at,
        batch_id

    from versions
    where version_rank = 1

)

select * from final
