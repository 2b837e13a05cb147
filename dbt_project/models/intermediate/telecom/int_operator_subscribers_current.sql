{#-
    The `ThueBao` rows that count, of the workbook that counts for each operator and month.

    A row counts when the two cells behind the 2G share are readable and consistent: Thuê bao chỉ
    dùng 2G and Tổng thuê bao di động are counts and the first is not above the second. A problem
    in another cell (an unknown or empty Đơn vị hành chính) does not drop the row's subscribers:
    the row counts and keeps its `problem` (also in raw.quarantine); kpi_2g_monthly counts such
    rows in subscriber_rows_with_problems. A unit listed twice counts once: its first countable
    row (lowest row_number) wins; rows without a unit are never merged.
-#}
with

reports as (

    select * from {{ ref('int_operator_reports_current') }}

),

subscribers as (

    select * from {{ ref('stg_operators__subscribers') }}

),

countable as (

    select
        reports.operator,
        reports.report_month,
        subscribers.admin_unit,
        subscribers.subscribers_2g_only,
        subscribers.subscribers_total,
        subscribers.problem,
        reports.file_sha256,
        subscribers.row_number,
        case
            when subscribers.admin_unit is null then 1
            else row_number() over (
                partition by reports.file_sha256, subscribers.admin_unit
                order by subscribers.row_number
            )
        end as listing_rank
    from reports
    inner join subscribers
        on reports.file_sha256 = subscribers.file_sha256
    where subscribers.subscribers_2g_only is not null
        and subscribers.subscribers_total is not null
        and subscribers.subscribers_2g_only <= subscribers.subscribers_total

),

final as (

    select
        operator,
        report_month,
        admin_unit,
        subscribers_2g_only,
        subscribers_total,
        problem,
        file_sha256,
        row_number
    from countable
    where listing_rank = 1

)

select * from final
