{#-
    One row per received version of a dossier. Named, typed, non-personal fields only:
    ChuHoSo, SoDinhDanh and SoDienThoai never leave raw (applicant_key stands for SoDinhDanh).
    Dates are Vietnam local text in the payload and become timestamptz here (parse_source_ts).
-#}
with

source as (

    select
        dossier_code,
        record_hash,
        source_updated_at,
        applicant_key,
        payload,
        batch_id,
        received_at
    from {{ source('one_stop_shop', 'one_stop_shop__dossier') }}

),

renamed as (

    select
        -- ids
        dossier_code,
        record_hash,
        payload ->> 'MaTTHC' as procedure_code,
        payload ->> 'MaDonViTiepNhan' as agency_code,
        applicant_key,

        -- codes (docs/contracts/sources.md section 1)
        nullif(btrim(payload ->> 'KenhThucHien'), '')::integer as channel_code,
        nullif(btrim(payload ->> 'NoiNopHoSo'), '')::integer as submit_place_code,
        nullif(btrim(payload ->> 'LoaiDoiTuong'), '')::integer as applicant_type,
        nullif(btrim(payload ->> 'TrangThaiHoSo'), '')::integer as status_code,
        nullif(btrim(payload ->> 'DuocThanhToanTrucTuyen'), '')::integer as paid_online_code,

        -- timestamps (Vietnam local text -> timestamptz)
        {{ parse_source_ts("payload ->> 'NgayNopHoSo'") }} as submitted_at,
        {{ parse_source_ts("payload ->> 'NgayTiepNhan'") }} as accepted_at,
        {{ parse_source_ts("payload ->> 'NgayHenTra'") }} as due_at_original,
        {{ parse_source_ts("payload ->> 'NgayKetThucXuLy'") }} as finished_at,
        {{ parse_source_ts("payload ->> 'NgayTra'") }} as returned_at,
        {{ parse_source_ts("payload ->> 'NgayCapNhat'") }} as updated_at,

        -- nested lists, always a json array (missing or null -> [])
        {%- for list_field, column_name in [
            ('DanhSachLePhi', 'fees'),
            ('TaiLieuNop', 'documents'),
            ('DanhSachHoSoBoSung', 'supplements'),
            ('DanhSachGiayToKetQua', 'results'),
        ] %}
        case
            when jsonb_typeof(payload -> '{{ list_field }}') = 'array'
                then payload -> '{{ list_field }}'
            else '[]'::jsonb
        end as {{ column_name }},
        {%- endfor %}

        -- load metadata
        source_updated_at,
        received_at,
        batch_id

    from source

)

select * from renamed
