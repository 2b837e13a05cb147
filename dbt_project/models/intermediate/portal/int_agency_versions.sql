{#-
    One row per agency version (agency_code, valid_from): the latest received record of that
    version (a later delivery corrects an earlier one, e.g. when validTo gets set).

    in_force_until (exclusive) closes each version: the day after its validTo (validTo is read as
    the last day in force), and at the latest the day the agency's next version starts, so that
    versions never overlap and "the version in force on day D" is unique:
        valid_from <= D and (in_force_until is null or D < in_force_until)
-#}
with

department_versions as (

    select * from {{ ref('stg_dvc_portal__departments') }}

),

latest_received as (

    select
        *,
        row_number() over (
            partition by agency_code, valid_from
            order by received_at desc, record_hash
        ) as received_rank
    from department_versions

),

deduplicated as (

    select
        *,
        lead(valid_from) over (partition by agency_code order by valid_from) as next_valid_from
    from latest_received
    where received_rank = 1

),

final as (

    select
        -- ids
        md5(agency_code || '|' || valid_from::text) as agency_version_key,
        agency_code,
        parent_code,
        admin_unit_code,

        -- attributes
        agency_name,
        level,

        -- validity
        valid_from,
        valid_to,
        least(valid_to + 1, next_valid_from) as in_force_until,
        next_valid_from is null as is_latest_version,

        -- load metadata
        record_hash,
        received_at

    from deduplicated

)

select * from final
