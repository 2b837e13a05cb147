{#-
    The operators' BTS inventory as of each operator's latest report: one row per operator,
    station and technology from the workbook that counts (latest version) for the most recent
    report month of that operator. A row is listed when its station code, technology and status
    are readable (int_operator_stations_current); a problem in another cell (coordinates, unit,
    on-air date) keeps the row and shows in `problems` (a warn test counts such rows). Rows
    without a readable code, technology or status are left out (raw.quarantine has the reason).
-#}
with

stations as (

    select * from {{ ref('int_operator_stations_current') }}

),

latest_month as (

    select operator, max(report_month) as report_month
    from stations
    group by operator

),

final as (

    select
        stations.operator,
        stations.station_code,
        stations.technology,
        stations.admin_unit,
        stations.latitude,
        stations.longitude,
        stations.status,
        stations.status_code,
        stations.on_air_date,
        stations.report_month,
        stations.file_name as report_file_name,
        stations.problem as problems
    from stations
    inner join latest_month
        on stations.operator = latest_month.operator
        and stations.report_month = latest_month.report_month

)

select * from final
