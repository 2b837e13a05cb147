{#-
    Month-to-date forecast (issue 13 item 5): for every as-of day A of a month M in progress, the
    projected month-end value of the online-remote rate (province) and of the 5G stations on air
    (viettel, vnpt, all), with an interval, the month's target and a verdict. One row per as-of day
    and indicator: every day from the first month with data up to the run's as-of day (var
    as_of_date, macro as_of_date), so the forecast's history stays and can be backtested against
    the month-end actuals (benchmarks/forecast_backtest.py).

    As of day A means: what the warehouse holds at the start of A (00:00 Vietnam time), which is
    what the nightly run extracts (it runs at 01:00 for the interval ending at the as-of day).
    M is A's month; "the month so far" is the days [1st of M, A); the remaining days are
    [A, last day of M], A included.

    b3_online_remote_rate (province):
      so far              accepted and online-remote dossiers accepted in [1st of M, A)
      reference months    the (up to) 3 months before M that hold data (from the first month with
                          an accepted dossier on)
      day class           (is_working_day, iso_day_of_week) of dim_date: a Monday is compared with
                          the working Mondays, a holiday Monday with the non-working Mondays
      trend               the reference months' monthly rate change: (rate of the newest - rate of
                          the oldest) / months between them (0 with one reference month)
      per reference month r, L_r months before M: for every remaining day d, the mean accepted
                          a and online-remote m dossiers per day of r with d's class (none: the
                          mean of r's days with the same is_working_day; none either: 0); the
                          remote share moves with the trend: m + L_r x trend x a, kept within
                          [0, a]; summed over the remaining days: V_r and R_r;
                          rate_r = (remote so far + R_r) / (accepted so far + V_r)
      projected           (remote so far + mean R_r) / (accepted so far + mean V_r); without a
                          reference month, the rate so far
      interval            [min rate_r - margin, max rate_r + margin] within [0, 1]: the spread of
                          the same weekdays of the recent months, widened by the sampling margin
                          1.645 x sqrt(p (1 - p) V) / (accepted so far + V), V = mean V_r,
                          p = mean R_r / V (the binomial spread of the remaining dossiers' channel,
                          90 %; rounded to 4 decimals); null with fewer than 2 reference months,
                          and null with the point (no dossier so far nor expected)
    b2_5g_on_air_<operator> (the operators report monthly, after the month ends):
      month to date       the operator's last report known at the start of A: the latest month L
                          < M with a count in kpi_5g_monthly whose first version arrived
                          (int_operator_reports_current.first_arrived_at) before A
      growth              the monthly increments C_m - C_(m-1) of the 3 latest known report months
                          (counted when the previous month is known too)
      projected           C_L + k x mean increment, k = months from L to M (1 once M-1 is in);
                          interval C_L + k x min .. C_L + k x max increment, null with fewer than 2
                          increments; without any increment C_L (no interval)
      all                 the sum of the operators' rows (projection, bounds, last counts), when
                          every operator has a row that day
    target: seed targets (province) of the indicator and M.
    verdict, in this order: no_target (M has no target); no_basis (no interval); will_meet (low
    >= target); will_miss (high < target); at_risk (the interval holds the target).
    will_meet_target = projected >= target (the point forecast), null without either.
    actual_month_end: the month's actual once known (online: M ended by the run's as-of day, the
    month's accepted dossiers of the same daily counts; 5G: kpi_5g_monthly of M), for the backtest.
    Choices: counts of a report are its latest delivered version (a later correction is taken as
    known from the first version's arrival); projected station counts are not rounded.
-#}
with

dossiers as (

    select * from {{ ref('int_dossiers_classified') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

stations_5g as (

    select * from {{ ref('kpi_5g_monthly') }}

),

reports as (

    select * from {{ ref('int_operator_reports_current') }}

),

operators as (

    select * from {{ ref('operators') }}

),

targets as (

    select * from {{ ref('targets') }}
    where scope = 'province' and scope_code = 'province' and period_start is null

),

indicators as (

    select * from {{ ref('scorecard_indicators') }}

),

verdict_labels as (

    select * from {{ ref('code_labels') }}
    where code_set = 'forecast_verdict'

),

run_as_of as (

    select {{ as_of_date() }} as as_of_date

),

-- online remote ------------------------------------------------------------------------------

daily_counts as (

    select
        {{ vn_day('accepted_at') }} as day,
        count(*) as accepted,
        count(*) filter (where is_online_remote) as online_remote
    from dossiers
    where is_accepted
    group by 1

),

online_bounds as (

    select min({{ month_start('day') }}) as first_month from daily_counts

),

days as (

    -- every day from the first month with an accepted dossier to the end of the as-of month
    select
        calendar.date as day,
        calendar.month,
        calendar.is_working_day,
        calendar.iso_day_of_week,
        coalesce(daily_counts.accepted, 0) as accepted,
        coalesce(daily_counts.online_remote, 0) as online_remote
    from calendar
    cross join online_bounds
    cross join run_as_of
    left join daily_counts
        on daily_counts.day = calendar.date
    where calendar.date >= online_bounds.first_month
        and calendar.date < {{ month_start('run_as_of.as_of_date', 1) }}

),

online_as_of_days as (

    select days.day as as_of_date, days.month
    from days
    cross join run_as_of
    where days.day <= run_as_of.as_of_date

),

class_means as (

    select
        month,
        is_working_day,
        iso_day_of_week,
        avg(accepted) as accepted,
        avg(online_remote) as online_remote
    from days
    group by month, is_working_day, iso_day_of_week

),

kind_means as (

    select
        month,
        is_working_day,
        avg(accepted) as accepted,
        avg(online_remote) as online_remote
    from days
    group by month, is_working_day

),

month_rates as (

    select
        month,
        sum(online_remote)::numeric / nullif(sum(accepted), 0) as online_remote_rate
    from days
    group by month

),

reference_months as (

    select
        online_as_of_days.as_of_date,
        online_as_of_days.month,
        month_rates.month as reference_month,
        month_rates.online_remote_rate,
        -- lag: how many months before M the reference month is (1, 2 or 3)
        ((extract(year from online_as_of_days.month) - extract(year from month_rates.month)) * 12
            + extract(month from online_as_of_days.month) - extract(month from month_rates.month))::integer
            as lag
    from online_as_of_days
    inner join month_rates
        on month_rates.month < online_as_of_days.month
        and month_rates.month >= {{ month_start('online_as_of_days.month', -3) }}

),

trend as (

    -- the reference months' rate change per month: (newest - oldest) / their distance in months,
    -- the least-squares slope of 2 or 3 consecutive months; 0 with one month or an empty month
    select
        as_of_date,
        coalesce(
            (max(online_remote_rate) filter (where lag = min_lag) - max(online_remote_rate) filter (where lag = max_lag))
                / nullif(max_lag - min_lag, 0),
            0
        ) as monthly_change
    from (
        select
            *,
            min(lag) over (partition by as_of_date) as min_lag,
            max(lag) over (partition by as_of_date) as max_lag
        from reference_months
    ) as lagged
    group by as_of_date, min_lag, max_lag

),

remaining_by_reference as (

    select
        reference_months.as_of_date,
        reference_months.reference_month,
        sum(coalesce(class_means.accepted, kind_means.accepted, 0)) as expected_accepted,
        -- the day class's remote share moved by the trend over `lag` months, kept within [0, accepted]
        sum(least(greatest(
            coalesce(class_means.online_remote, kind_means.online_remote, 0)
                + reference_months.lag * trend.monthly_change * coalesce(class_means.accepted, kind_means.accepted, 0),
            0), coalesce(class_means.accepted, kind_means.accepted, 0))) as expected_online_remote
    from reference_months
    inner join trend
        on trend.as_of_date = reference_months.as_of_date
    inner join days as remaining
        on remaining.month = reference_months.month
        and remaining.day >= reference_months.as_of_date
    left join class_means
        on class_means.month = reference_months.reference_month
        and class_means.is_working_day = remaining.is_working_day
        and class_means.iso_day_of_week = remaining.iso_day_of_week
    left join kind_means
        on kind_means.month = reference_months.reference_month
        and kind_means.is_working_day = remaining.is_working_day
    group by reference_months.as_of_date, reference_months.reference_month

),

so_far as (

    select
        online_as_of_days.as_of_date,
        online_as_of_days.month,
        coalesce(sum(elapsed.accepted), 0) as accepted_to_date,
        coalesce(sum(elapsed.online_remote), 0) as online_remote_to_date
    from online_as_of_days
    left join days as elapsed
        on elapsed.month = online_as_of_days.month
        and elapsed.day < online_as_of_days.as_of_date
    group by online_as_of_days.as_of_date, online_as_of_days.month

),

month_actuals as (

    select
        days.month,
        sum(days.online_remote)::numeric / nullif(sum(days.accepted), 0) as online_remote_rate
    from days
    cross join run_as_of
    where {{ month_start('days.month', 1) }} <= run_as_of.as_of_date
    group by days.month

),

per_reference as (

    select
        so_far.as_of_date,
        remaining_by_reference.expected_accepted,
        remaining_by_reference.expected_online_remote,
        (so_far.online_remote_to_date + remaining_by_reference.expected_online_remote)
            / nullif(so_far.accepted_to_date + remaining_by_reference.expected_accepted, 0) as projected_rate
    from so_far
    inner join remaining_by_reference
        on remaining_by_reference.as_of_date = so_far.as_of_date

),

online_projection as (

    select
        so_far.as_of_date,
        so_far.month,
        so_far.accepted_to_date,
        so_far.online_remote_to_date,
        count(per_reference.as_of_date) as reference_months,
        avg(per_reference.expected_accepted) as expected_accepted,
        avg(per_reference.expected_online_remote) as expected_online_remote,
        min(per_reference.projected_rate) as low,
        max(per_reference.projected_rate) as high
    from so_far
    left join per_reference
        on per_reference.as_of_date = so_far.as_of_date
    group by so_far.as_of_date, so_far.month, so_far.accepted_to_date, so_far.online_remote_to_date

),

online_margins as (

    -- the chance in which of the remaining dossiers come online: a binomial spread of the remote
    -- share p = mean R_r / mean V_r over mean V_r dossiers, 1.645 standard deviations (90 %),
    -- as a share of the month: 1.645 x sqrt(p (1 - p) mean V_r) / (accepted so far + mean V_r),
    -- rounded to 4 decimals (0.01 point)
    select
        *,
        coalesce(round(1.645 * sqrt(
            (expected_online_remote / nullif(expected_accepted, 0))
            * (1 - expected_online_remote / nullif(expected_accepted, 0))
            * expected_accepted
        ) / nullif(accepted_to_date + expected_accepted, 0), 4), 0) as sampling_margin
    from online_projection

),

online_rows as (

    select
        online_projection.as_of_date,
        online_projection.month,
        'b3_online_remote_rate'::text as indicator_code,
        null::text as operator,
        online_projection.online_remote_to_date::numeric
            / nullif(online_projection.accepted_to_date, 0) as value_to_date,
        online_projection.accepted_to_date as dossiers_accepted_to_date,
        online_projection.online_remote_to_date as dossiers_online_remote_to_date,
        online_projection.expected_accepted as expected_accepted_remaining,
        online_projection.expected_online_remote as expected_online_remote_remaining,
        null::date as last_report_month,
        null::integer as months_to_project,
        null::numeric as monthly_growth,
        online_projection.reference_months,
        case
            when online_projection.reference_months = 0
                then online_projection.online_remote_to_date::numeric / nullif(online_projection.accepted_to_date, 0)
            else (online_projection.online_remote_to_date + online_projection.expected_online_remote)
                / nullif(online_projection.accepted_to_date + online_projection.expected_accepted, 0)
        end as projected,
        -- no interval without a point: with no dossier so far nor expected (the point is null),
        -- least/greatest would ignore the null and give the whole [0, 1]
        case when online_projection.reference_months >= 2
                and online_projection.accepted_to_date + online_projection.expected_accepted > 0
            then least(greatest(online_projection.low - online_projection.sampling_margin, 0),
                      (online_projection.online_remote_to_date + online_projection.expected_online_remote)
                / nullif(online_projection.accepted_to_date + online_projection.expected_accepted, 0)) end as projected_low,
        case when online_projection.reference_months >= 2
                and online_projection.accepted_to_date + online_projection.expected_accepted > 0
            then greatest(least(online_projection.high + online_projection.sampling_margin, 1),
                         (online_projection.online_remote_to_date + online_projection.expected_online_remote)
                / nullif(online_projection.accepted_to_date + online_projection.expected_accepted, 0)) end as projected_high,
        month_actuals.online_remote_rate as actual_month_end
    from online_margins as online_projection
    left join month_actuals
        on month_actuals.month = online_projection.month

),

-- 5G -----------------------------------------------------------------------------------------

operator_reports as (

    select
        stations_5g.operator,
        stations_5g.month,
        stations_5g.stations_5g_on_air,
        reports.first_arrived_at
    from stations_5g
    inner join operators
        on operators.operator = stations_5g.operator
        and not operators.is_all_operators
    inner join reports
        on reports.operator = stations_5g.operator
        and reports.report_month = stations_5g.month
    where stations_5g.stations_5g_on_air is not null

),

report_days as (

    select calendar.date as as_of_date, calendar.month
    from calendar
    cross join run_as_of
    cross join (select min(month) as first_month from operator_reports) as bounds
    where calendar.date >= bounds.first_month
        and calendar.date <= run_as_of.as_of_date

),

known as (

    -- the reports of months before M whose first version arrived before the start of A
    select
        report_days.as_of_date,
        report_days.month,
        operator_reports.operator,
        operator_reports.month as report_month,
        operator_reports.stations_5g_on_air,
        row_number() over (
            partition by report_days.as_of_date, operator_reports.operator
            order by operator_reports.month desc
        ) as recency
    from report_days
    inner join operator_reports
        on operator_reports.month < report_days.month
        and operator_reports.first_arrived_at < {{ vn_day_start('report_days.as_of_date') }}

),

increments as (

    select
        latest.as_of_date,
        latest.operator,
        latest.stations_5g_on_air - previous.stations_5g_on_air as increment
    from known as latest
    inner join known as previous
        on previous.as_of_date = latest.as_of_date
        and previous.operator = latest.operator
        and previous.report_month = {{ month_start('latest.report_month', -1) }}
    where latest.recency <= 3

),

growth as (

    select
        as_of_date,
        operator,
        count(*) as increments,
        avg(increment) as mean_increment,
        min(increment) as min_increment,
        max(increment) as max_increment
    from increments
    group by as_of_date, operator

),

operator_projection as (

    select
        known.as_of_date,
        known.month,
        known.operator,
        known.report_month as last_report_month,
        known.stations_5g_on_air as last_count,
        ((extract(year from known.month) - extract(year from known.report_month)) * 12
            + extract(month from known.month) - extract(month from known.report_month))::integer
            as months_to_project,
        coalesce(growth.increments, 0) as increments,
        growth.mean_increment,
        growth.min_increment,
        growth.max_increment
    from known
    left join growth
        on growth.as_of_date = known.as_of_date
        and growth.operator = known.operator
    where known.recency = 1

),

operator_rows as (

    select
        as_of_date,
        month,
        operator,
        last_count::numeric as value_to_date,
        last_report_month,
        months_to_project,
        mean_increment as monthly_growth,
        increments as reference_months,
        last_count + months_to_project * coalesce(mean_increment, 0) as projected,
        case when increments >= 2 then last_count + months_to_project * min_increment end as projected_low,
        case when increments >= 2 then last_count + months_to_project * max_increment end as projected_high
    from operator_projection

),

all_rows as (

    select
        operator_rows.as_of_date,
        operator_rows.month,
        all_operators.operator,
        sum(operator_rows.value_to_date) as value_to_date,
        min(operator_rows.last_report_month) as last_report_month,
        max(operator_rows.months_to_project) as months_to_project,
        sum(operator_rows.monthly_growth) as monthly_growth,
        min(operator_rows.reference_months) as reference_months,
        sum(operator_rows.projected) as projected,
        case when count(operator_rows.projected_low) = count(*) then sum(operator_rows.projected_low) end
            as projected_low,
        case when count(operator_rows.projected_high) = count(*) then sum(operator_rows.projected_high) end
            as projected_high
    from operator_rows
    cross join (select operator from operators where is_all_operators) as all_operators
    group by operator_rows.as_of_date, operator_rows.month, all_operators.operator
    having count(*) = (select count(*) from operators where not is_all_operators)

),

five_g_rows as (

    select
        projections.as_of_date,
        projections.month,
        operators.stations_5g_indicator_code as indicator_code,
        projections.operator,
        projections.value_to_date,
        null::bigint as dossiers_accepted_to_date,
        null::bigint as dossiers_online_remote_to_date,
        null::numeric as expected_accepted_remaining,
        null::numeric as expected_online_remote_remaining,
        projections.last_report_month,
        projections.months_to_project,
        projections.monthly_growth,
        projections.reference_months,
        projections.projected,
        projections.projected_low,
        projections.projected_high,
        stations_5g.stations_5g_on_air::numeric as actual_month_end
    from (
        select * from operator_rows
        union all
        select * from all_rows
    ) as projections
    inner join operators
        on operators.operator = projections.operator
    left join stations_5g
        on stations_5g.operator = projections.operator
        and stations_5g.month = projections.month

),

-- together -----------------------------------------------------------------------------------

forecasts as (

    select * from online_rows
    union all
    select * from five_g_rows

),

judged as (

    select
        forecasts.*,
        targets.target,
        case
            when targets.target is null then 'no_target'
            when forecasts.projected_low is null or forecasts.projected_high is null then 'no_basis'
            when forecasts.projected_low >= targets.target then 'will_meet'
            when forecasts.projected_high < targets.target then 'will_miss'
            else 'at_risk'
        end as verdict,
        case
            when forecasts.projected is null or targets.target is null then null
            else forecasts.projected >= targets.target
        end as will_meet_target
    from forecasts
    left join targets
        on targets.indicator_code = forecasts.indicator_code
        and targets.month = forecasts.month

),

final as (

    select
        judged.as_of_date,
        judged.month,
        judged.indicator_code,
        indicators.breakthrough,
        indicators.indicator_name,
        indicators.unit,
        judged.operator,
        judged.as_of_date = run_as_of.as_of_date as is_run_as_of,
        remaining_days.days_remaining,
        remaining_days.working_days_remaining,
        trim_scale(judged.value_to_date) as value_to_date,
        judged.dossiers_accepted_to_date::bigint as dossiers_accepted_to_date,
        judged.dossiers_online_remote_to_date::bigint as dossiers_online_remote_to_date,
        trim_scale(judged.expected_accepted_remaining) as expected_accepted_remaining,
        trim_scale(judged.expected_online_remote_remaining) as expected_online_remote_remaining,
        judged.last_report_month,
        judged.months_to_project,
        trim_scale(judged.monthly_growth) as monthly_growth,
        judged.reference_months::integer as reference_months,
        trim_scale(judged.projected) as projected,
        trim_scale(judged.projected_low) as projected_low,
        trim_scale(judged.projected_high) as projected_high,
        judged.target,
        judged.verdict,
        verdict_labels.label as verdict_label,
        judged.will_meet_target,
        trim_scale(judged.actual_month_end) as actual_month_end
    from judged
    cross join run_as_of
    inner join indicators
        on indicators.indicator_code = judged.indicator_code
    left join verdict_labels
        on verdict_labels.code = judged.verdict
    left join (
        select
            calendar_days.date as as_of_date,
            count(*) as days_remaining,
            count(*) filter (where month_days.is_working_day) as working_days_remaining
        from calendar as calendar_days
        inner join calendar as month_days
            on month_days.month = calendar_days.month
            and month_days.date >= calendar_days.date
        group by calendar_days.date
    ) as remaining_days
        on remaining_days.as_of_date = judged.as_of_date

)

select * from final
