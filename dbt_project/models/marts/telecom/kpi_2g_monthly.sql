{#-
    2G switch-off per month and operator (viettel, vnpt, all), from each month's latest workbook.

    stations_2g_on_air = distinct station codes with a usable 2G row `Đang phát sóng`;
    subscribers_2g_only / subscribers_total = sums over the usable `ThueBao` rows;
    share_2g_only = subscribers_2g_only / subscribers_total (unrounded, null when the total is 0).
    The `all` row sums both operators and needs both workbooks (else null, report_received false).

    Rows: every month with a workbook of either operator (there is no 2G target), for each of
    viettel, vnpt and all; an operator without a workbook that month has nulls.
-#}
with

reports as (

    select * from {{ ref('int_operator_reports_current') }}

),

stations as (

    select * from {{ ref('int_operator_stations_current') }}

),

subscribers as (

    select * from {{ ref('int_operator_subscribers_current') }}

),

months as (

    select distinct report_month as month from reports

),

operators as (

    select operator from (values ('viettel'), ('vnpt')) as known (operator)

),

on_air as (

    select operator, report_month as month, count(distinct station_code) as stations_2g_on_air
    from stations
    where technology = '2G'
        and status_code = 'on_air'
    group by operator, report_month

),

subscribed as (

    select
        operator,
        report_month as month,
        sum(subscribers_2g_only) as subscribers_2g_only,
        sum(subscribers_total) as subscribers_total
    from subscribers
    group by operator, report_month

),

per_operator as (

    select
        months.month,
        operators.operator,
        reports.file_sha256 is not null as report_received,
        case when reports.file_sha256 is not null then coalesce(on_air.stations_2g_on_air, 0) end
            as stations_2g_on_air,
        case when reports.file_sha256 is not null then coalesce(subscribed.subscribers_2g_only, 0) end
            as subscribers_2g_only,
        case when reports.file_sha256 is not null then coalesce(subscribed.subscribers_total, 0) end
            as subscribers_total
    from months
    cross join operators
    left join reports
        on months.month = reports.report_month
        and operators.operator = reports.operator
    left join on_air
        on months.month = on_air.month
        and operators.operator = on_air.operator
    left join subscribed
        on months.month = subscribed.month
        and operators.operator = subscribed.operator

),

all_operators as (

    select
        month,
        'all'::text as operator,
        bool_and(report_received) as report_received,
        case when bool_and(report_received) then sum(stations_2g_on_air) end as stations_2g_on_air,
        case when bool_and(report_received) then sum(subscribers_2g_only) end as subscribers_2g_only,
        case when bool_and(report_received) then sum(subscribers_total) end as subscribers_total
    from per_operator
    group by month

),

unioned as (

    select month, operator, report_received, stations_2g_on_air, subscribers_2g_only, subscribers_total
    from per_operator
    union all
    select month, operator, report_received, stations_2g_on_air, subscribers_2g_only, subscribers_total
    from all_operators

),

final as (

    select
        month,
        operator,
        stations_2g_on_air::bigint as stations_2g_on_air,
        subscribers_2g_only::bigint as subscribers_2g_only,
        subscribers_total::bigint as subscribers_total,
        -- unrounded; trim_scale only drops the trailing zeros of numeric division
        trim_scale(subscribers_2g_only::numeric / nullif(subscribers_total, 0)) as share_2g_only,
        report_received
    from unioned

)

select * from final
