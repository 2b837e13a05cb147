{#- Sheet `ThueBao`, one row per administrative unit of each workbook version. -#}
with

source as (

    select * from {{ source('operators', 'operator__subscriber') }}

),

renamed as (

    select
        file_sha256,
        row_number,
        admin_unit,
        subscribers_2g_only,
        subscribers_total,
        problem,
        problem is null as is_usable,
        batch_id,
        received_at
    from source

)

select * from renamed
