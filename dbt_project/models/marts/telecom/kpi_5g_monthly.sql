{#-
    5G stations on air per month and operator (viettel, vnpt, all) — breakthrough 2 indicators
    b2_5g_on_air_all / _viettel / _vnpt.

    stations_5g_on_air = count of distinct station codes with a 5G row whose Trạng thái is
    `Đang phát sóng` in that month's latest workbook of the operator, counted from the row's code,
    technology and status alone (a problem in another cell, e.g. an unreadable Vĩ độ, does not
    drop the station; int_operator_stations_current); `all` = viettel + vnpt
    (station codes are unique per operator).

    Rows: the month x operator grid (int_operator_month_grid): every month that has a workbook of
    either operator or a b2_5g target, for each operator of the seed operators. A month without
    the operator's workbook has report_received false and stations_5g_on_air null (unknown, not
    zero); the `all` row needs every workbook, otherwise it is null too and report_received is
    false. meets_target = stations_5g_on_air >= target, null when either is null.
-#}
with

grid as (

    select * from {{ ref('int_operator_month_grid') }}

),

stations as (

    select * from {{ ref('int_operator_stations_current') }}

),

operators as (

    select * from {{ ref('operators') }}

),

targets as (

    select * from {{ ref('targets') }}

),

plan as (

    select
        targets.month,
        operators.operator,
        targets.target
    from targets
    inner join operators
        on targets.indicator_code = operators.stations_5g_indicator_code
    where targets.scope = 'province'
        and targets.scope_code = 'province'

),

on_air as (

    select
        operator,
        report_month as month,
        count(distinct station_code) as stations_5g_on_air
    from stations
    where technology = '5G'
        and status_code = 'on_air'
    group by operator, report_month

),

counted as (

    -- each operator row sums its members (itself; for all, every operator)
    select
        grid.month,
        grid.operator,
        grid.report_received,
        case when grid.report_received then coalesce(sum(on_air.stations_5g_on_air), 0) end
            as stations_5g_on_air,
        grid.report_on_time,
        grid.report_versions
    from grid
    left join on_air
        on grid.month = on_air.month
        and grid.member_operator = on_air.operator
    group by grid.month, grid.operator, grid.report_received, grid.report_on_time, grid.report_versions

),

final as (

    select
        counted.month,
        counted.operator,
        counted.stations_5g_on_air::bigint as stations_5g_on_air,
        counted.report_received,
        plan.target,
        case
            when counted.stations_5g_on_air is null or plan.target is null then null
            else counted.stations_5g_on_air >= plan.target
        end as meets_target,
        counted.report_on_time,
        counted.report_versions::bigint as report_versions
    from counted
    left join plan
        on counted.month = plan.month
        and counted.operator = plan.operator

)

select * from final
