{#-
    2G switch-off per month and operator (viettel, vnpt, all), from each month's latest workbook.

    stations_2g_on_air = distinct station codes with a 2G row `Đang phát sóng` (code, technology
    and status readable; a problem in another cell does not drop it);
    subscribers_2g_only / subscribers_total = sums over the `ThueBao` rows that count (both counts
    readable, 2G-only <= total, a unit counted once), even when another cell of the row (the unit)
    has a problem: subscriber_rows_with_problems counts those rows (warn test);
    share_2g_only = subscribers_2g_only / subscribers_total (unrounded, null when the total is 0).
    The `all` row sums every operator and needs every workbook (else null, report_received false).

    Rows: the month x operator grid (int_operator_month_grid) for the months with a workbook of
    either operator (there is no 2G target); an operator without a workbook that month has nulls.
-#}
with

grid as (

    select * from {{ ref('int_operator_month_grid') }}
    where has_workbook

),

stations as (

    select * from {{ ref('int_operator_stations_current') }}

),

subscribers as (

    select * from {{ ref('int_operator_subscribers_current') }}

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
        sum(subscribers_total) as subscribers_total,
        count(*) filter (where problem is not null) as subscriber_rows_with_problems
    from subscribers
    group by operator, report_month

),

counted as (

    -- each operator row sums its members (itself; for all, every operator)
    select
        grid.month,
        grid.operator,
        grid.report_received,
        case when grid.report_received then coalesce(sum(on_air.stations_2g_on_air), 0) end
            as stations_2g_on_air,
        case when grid.report_received then coalesce(sum(subscribed.subscribers_2g_only), 0) end
            as subscribers_2g_only,
        case when grid.report_received then coalesce(sum(subscribed.subscribers_total), 0) end
            as subscribers_total,
        case when grid.report_received then coalesce(sum(subscribed.subscriber_rows_with_problems), 0) end
            as subscriber_rows_with_problems
    from grid
    left join on_air
        on grid.month = on_air.month
        and grid.member_operator = on_air.operator
    left join subscribed
        on grid.month = subscribed.month
        and grid.member_operator = subscribed.operator
    group by grid.month, grid.operator, grid.report_received

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
        report_received,
        subscriber_rows_with_problems::bigint as subscriber_rows_with_problems
    from counted

)

select * from final
