{#- Usable `Tram` rows of the workbook that counts for each operator and month. -#}
with

reports as (

    select * from {{ ref('int_operator_reports_current') }}

),

stations as (

    select * from {{ ref('stg_operators__stations') }}

),

final as (

    select
        reports.operator,
        reports.report_month,
        stations.station_code,
        stations.technology,
        stations.admin_unit,
        stations.latitude,
        stations.longitude,
        stations.status,
        stations.status_code,
        stations.on_air_date,
        reports.file_sha256,
        reports.file_name,
        stations.row_number
    from reports
    inner join stations
        on reports.file_sha256 = stations.file_sha256
    where stations.is_usable

)

select * from final
