{#-
    The workbook that counts for each operator and report month: the latest delivered version in
    the order the loader received them (received_at, then batch_id, the load batch's sequence,
    then the highest sha256 only so that the choice is deterministic). A corrected workbook
    therefore replaces the earlier one; both stay in raw. The file's mtime (arrived_at) is NOT the
    order: a copied or restored older file can carry a newer mtime than the correction, and must
    not win.
    on_time is the FIRST received version's punctuality (its arrived_at before the 10th of the next
    month): a correction sent later does not make the monthly report late, and a late report is
    not made punctual by a correction.
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
            order by received_at desc, batch_id desc, file_sha256 desc
        ) as recency_rank,
        count(*) over (partition by operator, report_month) as versions_received,
        first_value(on_time) over first_received as first_version_on_time,
        first_value(arrived_at) over first_received as first_arrived_at
    from files
    window first_received as (
        partition by operator, report_month
        order by received_at, batch_id, file_sha256
        rows between unbounded preceding and unbounded following
    )

),

final as (

    select
        operator,
        report_month,
        file_sha256,
        file_name,
        arrived_at,
        received_at,
        batch_id,
        first_arrived_at,
        first_version_on_time as on_time,
        versions_received
    from ranked
    where recency_rank = 1

)

select * from final
