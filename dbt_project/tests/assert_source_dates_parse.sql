{{ config(severity='warn') }}

{#-
    Every top-level date of the current dossier versions that is present in the source must parse
    (parse_source_ts reads yyyyMMddHHmmss and dd/MM/yyyy HH:mm:ss only and gives null otherwise).
    Batch-scoped (macros/new_batches.sql): with var test_since_batch set, only the versions of later
    batches are parsed (index on raw batch_id); null tests every version.
    Returns the dossier code and the field name only, never the value's neighbours.
-#}
with

raw_dates as (

    select
        dossier_code,
        record_hash,
        field_name,
        nullif(btrim(payload ->> field_name), '') as raw_value
    from {{ source('one_stop_shop', 'one_stop_shop__dossier') }}
    cross join unnest(array[
        'NgayNopHoSo', 'NgayTiepNhan', 'NgayHenTra', 'NgayKetThucXuLy', 'NgayTra', 'NgayCapNhat'
    ]) as field_name
    where {{ new_batches_predicate('batch_id') }}

)

select
    dossier_code,
    record_hash,
    field_name
from raw_dates
where raw_value is not null
    and {{ parse_source_ts('raw_value') }} is null
