{#-
    One row per received version of a 766 index metric (agency x group x month x metric code),
    typed. Numbers are read from the JSON text as sent (numeric keeps every digit); a JSON null
    stays null. ratio_percent is the portal's ratio, a percentage.
-#}
with

source as (

    select
        agency_code,
        indicator_group,
        period_year,
        period_month,
        metric_code,
        metric,
        record_hash,
        batch_id,
        received_at
    from {{ source('dvc_portal', 'dvc_portal__evaluation_metric') }}

),

renamed as (

    select
        -- ids
        make_date(period_year, period_month, 1) as month,
        agency_code,
        indicator_group,
        metric_code,
        record_hash,

        -- attributes
        metric ->> 'name' as metric_name,
        (metric ->> 'numerator')::numeric as numerator,
        (metric ->> 'denominator')::numeric as denominator,
        (metric ->> 'ratio')::numeric as ratio_percent,
        (metric ->> 'score')::numeric as score,
        (metric ->> 'maxScore')::numeric as max_score,

        -- load metadata
        received_at,
        batch_id

    from source

)

select * from renamed
