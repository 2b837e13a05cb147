{#-
    5G stations on air per month and operator (viettel, vnpt, all) — breakthrough 2 indicators
    b2_5g_on_air_all / _viettel / _vnpt.

    stations_5g_on_air = count of distinct station codes with a usable 5G row whose Trạng thái is
    `Đang phát sóng` in that month's latest workbook of the operator; `all` = viettel + vnpt
    (station codes are unique per operator).

    Rows: every month that has a workbook of either operator or a b2_5g target, for each of
    viettel, vnpt and all. A month without the operator's workbook has report_received false and
    stations_5g_on_air null (unknown, not zero); the `all` row needs both workbooks, otherwise it
    is null too and report_received is false. meets_target = stations_5g_on_air >= target, null
    when either is null.
-#}
with

reports as (

    select * from {{ ref('int_operator_reports_current') }}

),

stations as (

    select * from {{ ref('int_operator_stations_current') }}

),

targets as (

    select * from {{ ref('targets') }}

),

plan as (

    select
        month,
        case indicator_code
            when 'b2_5g_on_air_viettel' then 'viettel'
            when 'b2_5g_on_air_vnpt' then 'vnpt'
            when 'b2_5g_on_air_all' then 'all'
        end as operator,
        target
    from targets
    where indicator_code in ('b2_5g_on_air_all', 'b2_5g_on_air_viettel', 'b2_5g_on_air_vnpt')
        and scope = 'province'
        and scope_code = 'province'

),

months as (

    select report_month as month from reports
    union
    select month from plan

),

operators as (

    select operator from (values ('viettel'), ('vnpt')) as known (operator)

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

per_operator as (

    select
        months.month,
        operators.operator,
        reports.file_sha256 is not null as report_received,
        case when reports.file_sha256 is not null then coalesce(on_air.stations_5g_on_air, 0) end
            as stations_5g_on_air,
        reports.on_time as report_on_time,
        coalesce(reports.versions_received, 0) as report_versions
    from months
    cross join operators
    left join reports
        on months.month = reports.report_month
        and operators.operator = reports.operator
    left join on_air
        on months.month = on_air.month
        and operators.operator = on_air.operator

),

all_operators as (

    select
        month,
        'all'::text as operator,
        bool_and(report_received) as report_received,
        case when bool_and(report_received) then sum(stations_5g_on_air) end as stations_5g_on_air,
        case when bool_and(report_received) then bool_and(report_on_time) end as report_on_time,
        sum(report_versions) as report_versions
    from per_operator
    group by month

),

unioned as (

    select month, operator, report_received, stations_5g_on_air, report_on_time, report_versions
    from per_operator
    union all
    select month, operator, report_received, stations_5g_on_air, report_on_time, report_versions
    from all_operators

),

final as (

    select
        unioned.month,
        unioned.operator,
        unioned.stations_5g_on_air::bigint as stations_5g_on_air,
        unioned.report_received,
        plan.target,
        case
            when unioned.stations_5g_on_air is null or plan.target is null then null
            else unioned.stations_5g_on_air >= plan.target
        end as meets_target,
        unioned.report_on_time,
        unioned.report_versions::bigint as report_versions
    from unioned
    left join plan
        on unioned.month = plan.month
        and unioned.operator = plan.operator

)

select * from final
