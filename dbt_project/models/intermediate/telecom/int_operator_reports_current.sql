{#-
    The workbook that counts for each operator and report month: the latest delivered version
    (latest arrived_at, then latest received_at, then the highest sha256 so that the choice is
    deterministic). A corrected workbook therefore replaces the earlier one; both stay in raw.
    on_time is the FIRST version's punctuality: a correction sent later does not make the monthly
    report late, and a late report is not made punctual by a correction.
-#}
with

files as (

    select * from {{ ref('stg_operators__report_files') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by operator, report_month
            order by arrived_at desc, received_at desc, file_sha256 desc
        ) as recency_rank,
        count(*) over (partition by operator, report_month) as versions_received,
        first_value(on_time) over (
            partition by operator, report_month
            order by arrived_at, received_at, file_sha256
        ) as first_version_on_time,
        min(arrived_at) over (partition by operator, report_month) as first_arrived_at
    from files

),

final as (

    select
        operator,
        report_month,
        file_sha256,
        file_name,
        arrived_at,
        first_arrived_at,
        first_version_on_time as on_time,
        versions_received
    from ranked
    where recency_rank = 1

)

select * from final
