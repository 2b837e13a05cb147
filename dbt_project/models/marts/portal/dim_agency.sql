{#-
    Agencies of the portal's department list, one row per agency version (agency_code, valid_from).
    is_current: the version in force on the as-of day (var as_of_date, default today in Vietnam).
-#}
with

agency_versions as (

    select * from {{ ref('int_agency_versions') }}

),

final as (

    select
        -- ids
        agency_version_key,
        agency_code,

        -- attributes
        agency_name,
        level,
        parent_code,
        admin_unit_code,

        -- validity
        valid_from,
        valid_to,
        (
            valid_from <= {{ as_of_date() }}
            and (in_force_until is null or {{ as_of_date() }} < in_force_until)
        ) as is_current,
        in_force_until,
        is_latest_version

    from agency_versions

)

select * from final
