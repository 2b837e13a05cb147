{#-
    Sheet `Tram`, one row per table row of each workbook version, typed by the loader.
    status_code is the English code of the contract's four Vietnamese status labels.
-#}
with

source as (

    select * from {{ source('operators', 'operator__station') }}

),

renamed as (

    select
        file_sha256,
        row_number,
        station_code,
        technology,
        admin_unit,
        latitude,
        longitude,
        status,
        case status
            when 'Đang phát sóng' then 'on_air'
            when 'Đã lắp đặt' then 'installed'
            when 'Đang thi công' then 'under_construction'
            when 'Đã tắt' then 'switched_off'
        end as status_code,
        on_air_date,
        problem,
        problem is null as is_usable,
        batch_id,
        received_at
    from source

)

select * from renamed
