{#-
    One row per received state of an agency's monthly progress report (docs/contracts/sources.md §4),
    typed. TrangThai (status_code): 1 draft, 2 sent, 3 returned for revision. NgayGui (sent_at) and
    NgayCapNhat are Vietnam local time in one of the two source formats (macro parse_source_ts).
-#}
with

source as (

    select
        agency_code,
        report_period,
        source_updated_at,
        payload,
        record_hash,
        batch_id,
        received_at
    from {{ source('agency_work', 'one_stop_shop__agency_report') }}

),

renamed as (

    select
        -- ids
        agency_code,
        to_date(report_period, 'YYYYMM') as month,
        record_hash,

        -- attributes
        (payload ->> 'TrangThai')::integer as status_code,
        {{ parse_source_ts("payload ->> 'NgayGui'") }} as sent_at,
        source_updated_at,

        -- load metadata
        received_at,
        batch_id

    from source

)

select * from renamed
