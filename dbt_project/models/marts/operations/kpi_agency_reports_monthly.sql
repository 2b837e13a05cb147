{#-
    The agencies' monthly progress reports (decision section IV; "Điều hành công việc" app), per
    month reported on and scope: province, level (of the latest agency version in force in the
    month) and agency.

    agencies_expected     agencies with a version in force on at least one day of the month
                          (int_agency_months), for the months the reports were asked for
    reports_sent          expected agencies whose report's current state is sent (TrangThai 2)
    reports_sent_on_time  ... and sent (NgayGui) before report_deadline = 00:00 Vietnam time on the
                          10th of the next month
    reports_late          reports_sent - reports_sent_on_time (sent on the 10th or later)
    reports_missing       agencies_expected - reports_sent: no report, a draft (1), or returned for
                          revision (3) and not sent again
    on_time_rate          reports_sent_on_time / agencies_expected (null when none is expected)
    is_final              the as-of day (var as_of_date) is the deadline's day or later: before that
                          the counts are still moving (the scorecard takes the rate only when final)

    A report returned for revision and sent again counts by its last sending time: re-sent after the
    deadline is late even if first sent before it. Reports of agencies not in force in the month
    are not counted.
-#}
with

agency_months as (

    select * from {{ ref('int_agency_months') }}
    where is_report_month

),

reports as (

    select * from {{ ref('int_agency_reports_current') }}

),

judged as (

    select
        agency_months.month,
        agency_months.agency_code,
        agency_months.agency_level,
        {{ vn_day_start(month_start('agency_months.month', 1) ~ ' + 9') }} as report_deadline,
        coalesce(reports.status_code = 2 and reports.sent_at is not null, false) as is_sent,
        coalesce(
            reports.status_code = 2
            and reports.sent_at < {{ vn_day_start(month_start('agency_months.month', 1) ~ ' + 9') }},
            false
        ) as is_sent_on_time
    from agency_months
    left join reports
        on reports.month = agency_months.month
        and reports.agency_code = agency_months.agency_code

),

scoped as (

    {{ dossier_kpi_scopes('judged', ['month', 'report_deadline', 'is_sent', 'is_sent_on_time']) }}

),

counted as (

    select
        month,
        scope,
        scope_code,
        min(report_deadline) as report_deadline,
        count(*) as agencies_expected,
        count(*) filter (where is_sent) as reports_sent,
        count(*) filter (where is_sent_on_time) as reports_sent_on_time
    from scoped
    group by month, scope, scope_code

),

final as (

    select
        month,
        scope,
        scope_code,
        agencies_expected,
        reports_sent,
        reports_sent_on_time,
        reports_sent - reports_sent_on_time as reports_late,
        agencies_expected - reports_sent as reports_missing,
        trim_scale(reports_sent_on_time::numeric / nullif(agencies_expected, 0)) as on_time_rate,
        report_deadline,
        {{ as_of_date() }} >= {{ month_start('month', 1) }} + 9 as is_final
    from counted

),

labelled as (

    -- readable names beside the codes, for the BI tool: scope_label, level_label, agency_name
    {{ kpi_scope_labels('final') }}

)

select * from labelled
