{#-
    The month x operator grid of the telecom KPIs (kpi_5g_monthly, kpi_2g_monthly), built once.

    Months: every month with a workbook of either operator, and every month with a target of an
    operator's 5G indicator (seed operators.stations_5g_indicator_code, province rows of the seed
    targets), so that a planned month without a workbook still shows as a row; has_workbook tells
    them apart (kpi_2g_monthly, without a plan, keeps only months with a workbook).
    Operators: the seed operators, `all` included.

    Grain: month x operator x member_operator. A real operator's row has one member, itself; the
    `all` row has one per operator that sends a workbook, so that a KPI sums its members' figures
    per (month, operator) without writing `all` again. The report columns are those of the
    (month, operator) row, repeated on each of its members:
      report_received  the operator's workbook of the month was received; for all: every member's
      report_on_time   the month's first workbook version arrived before the 10th (see
                       int_operator_reports_current); for all: every member's, null unless received
      report_versions  workbook versions delivered for the month (summed over the members)
-#}
with

reports as (

    select * from {{ ref('int_operator_reports_current') }}

),

operators as (

    select * from {{ ref('operators') }}

),

targets as (

    select * from {{ ref('targets') }}

),

planned_months as (

    select targets.month
    from targets
    inner join operators
        on targets.indicator_code = operators.stations_5g_indicator_code
    where targets.scope = 'province'
        and targets.scope_code = 'province'

),

months as (

    select month, bool_or(has_workbook) as has_workbook
    from (
        select report_month as month, true as has_workbook from reports
        union all
        select month, false as has_workbook from planned_months
    ) as reported_or_planned
    group by month

),

members as (

    select
        operators.operator,
        members.operator as member_operator
    from operators
    inner join operators as members
        on not members.is_all_operators
        and (operators.is_all_operators or members.operator = operators.operator)

),

member_reports as (

    select
        months.month,
        months.has_workbook,
        members.operator,
        members.member_operator,
        reports.file_sha256 is not null as member_report_received,
        reports.on_time as member_report_on_time,
        coalesce(reports.versions_received, 0) as member_report_versions
    from months
    cross join members
    left join reports
        on months.month = reports.report_month
        and members.member_operator = reports.operator

),

final as (

    select
        month,
        operator,
        member_operator,
        bool_and(member_report_received) over operator_month as report_received,
        case
            when bool_and(member_report_received) over operator_month
                then bool_and(member_report_on_time) over operator_month
        end as report_on_time,
        sum(member_report_versions) over operator_month as report_versions,
        has_workbook
    from member_reports
    window operator_month as (partition by month, operator)

)

select * from final
