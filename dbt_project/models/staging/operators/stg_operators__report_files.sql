{#- One row per delivered workbook version (the bytes stay in raw). -#}
with

source as (

    select * from {{ source('operators', 'operator__report_file') }}

),

renamed as (

    select
        sha256 as file_sha256,
        operator,
        report_month,
        file_name,
        size_bytes,
        arrived_at,
        on_time,
        period_label,
        reporting_unit,
        batch_id,
        received_at
    from source

)

select * from renamed
