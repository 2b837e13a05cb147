{#- Usable `ThueBao` rows of the workbook that counts for each operator and month. -#}
with

reports as (

    select * from {{ ref('int_operator_reports_current') }}

),

subscribers as (

    select * from {{ ref('stg_operators__subscribers') }}

),

final as (

    select
        reports.operator,
        reports.report_month,
        subscribers.admin_unit,
        subscribers.subscribers_2g_only,
        subscribers.subscribers_total,
        reports.file_sha256,
        subscribers.row_number
    from reports
    inner join subscribers
        on reports.file_sha256 = subscribers.file_sha256
    where subscribers.is_usable

)

select * from final
