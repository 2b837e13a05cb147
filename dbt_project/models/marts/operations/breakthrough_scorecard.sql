{#-
    The leaders' scorecard of the three 2024 breakthroughs: month × indicator, the measured value
    next to the plan. Each actual comes from the mart that defines it (one place per formula); this
    model only lines them up and compares.

    b1_sources_declared_integrated (sector feeds): sources integrated / sources declared, in the
    as-of day's month only: the share of all source_status rows (the core systems and every
    declared sector feed) that are fresh, i.e. loaded and fresh within their SLA (is_fresh). No
    target: shown, not judged (khong_co_chi_tieu). Only once at least one sector feed is declared:
    before, the declared sources are the four systems, whose share b1_sources_integrated reports.
    b1_sources_integrated (core systems only, source_kind = 'system'): in the as-of day's month, the share of monitored sources that are fresh
    (source_status.is_fresh) and whose data-quality status is not `fail`. Freshness is a "now"
    notion that is not kept over time, so for earlier months it is rebuilt from the load history:
    a source counts when a successful load covers the month (a batch whose interval overlaps it, or
    an interval-free catalog snapshot) and its latest data-quality status is not `fail`.
    b1_agency_reports_on_time (issue 13): kpi_agency_reports_monthly.on_time_rate of the province,
    only for months whose deadline (the 10th of the next month) has passed by the as-of day (is_final);
    before that the actual is null and the status chua_co_so_lieu (report_due_day 10).
    b3_repeat_applicants_online_remote (issue 13): kpi_citizen_accounts_monthly.repeat_online_remote_share
    of the province, for every month with an accepted dossier; no target.
    b3_online_remote_rate_jul_sep_2024 (a period indicator: scorecard_indicators.period_of =
    b3_online_remote_rate): the decision of 28/6/2024 sets >= 65% "from July 2024 to September
    2024", so its actual is cumulative: sum(dossiers_online_remote) / sum(dossiers_accepted) of
    the province rows of kpi_online_rate_monthly over the target row's period_start..period_end
    (not the mean of the monthly rates), shown at the period's last month, beside the monthly rows.
    b3_fee_reduced_online_remote_rate: online_remote_rate of the province row of procedure group
    fee_reduced in kpi_fee_reduced_online_monthly; tracked, no target (the 2024 plan sets none).

    status, in this order:
      khong_co_chi_tieu  no target for the month;
      chua_co_so_lieu    no data yet as of var as_of_date: the month (a period's last month) is
                         after the as-of month, or its source report is not yet due and there is
                         no actual (scorecard_indicators.report_due_day: the operators' workbook of
                         month M is due on the 10th of M+1; empty = due once the month started);
      dat                actual >= target;
      chua_dat           otherwise, including a month past its due day without an actual (no data
                         is not meeting the plan).
-#}
with

indicators as (

    select * from {{ ref('scorecard_indicators') }}

),

targets as (

    select * from {{ ref('targets') }}
    where scope = 'province' and scope_code = 'province'

),

sources as (

    select * from {{ ref('source_status') }}

),

online as (

    select * from {{ ref('kpi_online_rate_monthly') }}
    where scope = 'province'

),

fee_reduced as (

    select * from {{ ref('kpi_fee_reduced_online_monthly') }}
    where scope = 'province' and procedure_group = 'fee_reduced'

),

timeliness as (

    select * from {{ ref('kpi_timeliness_monthly') }}
    where scope = 'province'

),

batches as (

    select * from {{ ref('stg_pipeline__load_batches') }}
    where status = 'success'

),

as_of_month as (

    select {{ month_start(as_of_date()) }} as month, {{ as_of_date() }} as as_of_date

),

b1_months as (

    select month from targets where indicator_code = 'b1_sources_integrated'
    union
    select month from as_of_month

),

sources_by_month as (

    select
        b1_months.month,
        sources.source,
        case
            when b1_months.month = as_of_month.month then sources.is_fresh
            else exists (
                select 1
                from batches
                where batches.source = sources.source
                    and (batches.interval_start is null
                        or batches.interval_start < {{ vn_day_start(month_start('b1_months.month', 1)) }})
                    and (batches.interval_end is null
                        or batches.interval_end > {{ vn_day_start('b1_months.month') }})
            )
        end as is_integrated,
        coalesce(sources.dq_status, 'pass') <> 'fail' as is_trusted
    from b1_months
    cross join as_of_month
    cross join sources
    where b1_months.month <= as_of_month.month
        and sources.source_kind is distinct from 'sector_feed'

),

stations_5g as (

    select * from {{ ref('kpi_5g_monthly') }}

),

operators as (

    select * from {{ ref('operators') }}

),

agency_reports as (

    select * from {{ ref('kpi_agency_reports_monthly') }}
    where scope = 'province'

),

citizen_accounts as (

    select * from {{ ref('kpi_citizen_accounts_monthly') }}
    where scope = 'province'
        and repeat_applicants is not null

),

share_2g as (

    -- the share of every operator together (the `all` row)
    select kpi_2g_monthly.*
    from {{ ref('kpi_2g_monthly') }} as kpi_2g_monthly
    inner join operators
        on kpi_2g_monthly.operator = operators.operator
    where operators.is_all_operators

),

actuals as (

    select
        month,
        'b1_sources_integrated'::text as indicator_code,
        trim_scale(avg(case when is_integrated and is_trusted then 1 else 0 end)) as actual
    from sources_by_month
    group by month

    union all

    -- sector feeds: sources integrated / sources declared, as-of month only, once a feed is declared
    select
        as_of_month.month,
        'b1_sources_declared_integrated',
        trim_scale(avg(case when sources.is_fresh then 1 else 0 end))
    from sources
    cross join as_of_month
    group by as_of_month.month
    having count(*) filter (where sources.source_kind = 'sector_feed') > 0

    union all

    select month, 'b1_overdue_dossiers', overdue_at_month_end::numeric
    from timeliness

    union all

    select stations_5g.month, operators.stations_5g_indicator_code, stations_5g.stations_5g_on_air::numeric
    from stations_5g
    inner join operators
        on stations_5g.operator = operators.operator

    union all

    select month, 'b2_2g_only_share', share_2g_only::numeric
    from share_2g

    union all

    select month, 'b3_online_remote_rate', online_remote_rate::numeric
    from online

    union all

    -- issue 13: agencies' reports before the 10th (only once the month's deadline has passed), and
    -- repeat applicants moving online
    select month, 'b1_agency_reports_on_time', case when is_final then on_time_rate end
    from agency_reports

    union all

    select month, 'b3_repeat_applicants_online_remote', repeat_online_remote_share
    from citizen_accounts

    union all

    -- fee-reduced procedures (issue 13 item 2): the province's fee_reduced row; no target
    select month, 'b3_fee_reduced_online_remote_rate', online_remote_rate::numeric
    from fee_reduced

    union all

    -- period indicators: cumulative remote / cumulative accepted over the target's period
    select
        targets.month,
        targets.indicator_code,
        trim_scale(sum(online.dossiers_online_remote)::numeric / nullif(sum(online.dossiers_accepted), 0))
    from targets
    inner join indicators
        on indicators.indicator_code = targets.indicator_code
    inner join online
        on online.month between targets.period_start and targets.period_end
    where indicators.period_of = 'b3_online_remote_rate'
    group by targets.month, targets.indicator_code

),

months as (

    select month, indicator_code from actuals
    union
    select month, indicator_code from targets

),

final as (

    select
        months.month,
        indicators.breakthrough,
        months.indicator_code,
        indicators.indicator_name,
        indicators.unit,
        actuals.actual,
        targets.target,
        case
            when targets.target is null then 'khong_co_chi_tieu'
            when months.month > as_of_month.month
                or (actuals.actual is null and as_of_month.as_of_date < case
                    when indicators.report_due_day is null then months.month
                    else {{ month_start('months.month', 1) }} + indicators.report_due_day - 1
                end)
                then 'chua_co_so_lieu'
            when actuals.actual >= targets.target then 'dat'
            else 'chua_dat'
        end as status
    from months
    cross join as_of_month
    inner join indicators on indicators.indicator_code = months.indicator_code
    left join actuals
        on actuals.month = months.month
        and actuals.indicator_code = months.indicator_code
    left join targets
        on targets.month = months.month
        and targets.indicator_code = months.indicator_code

),

labelled as (

    -- the status as people read it (seed code_labels), beside the code
    select
        final.*,
        status_labels.label as status_label
    from final
    left join {{ ref('code_labels') }} as status_labels
        on status_labels.code_set = 'scorecard_status'
        and status_labels.code = final.status

)

select * from labelled
