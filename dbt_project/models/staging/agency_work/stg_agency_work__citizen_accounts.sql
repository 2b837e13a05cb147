{#-
    One row per received version of an agency's citizen-account figures for a month
    (docs/contracts/sources.md §5), typed: accounts_new (opened during the month), accounts_total and
    accounts_verified (linked to VNeID) at the month's end.
-#}
with

source as (

    select
        agency_code,
        period_year,
        period_month,
        payload,
        record_hash,
        batch_id,
        received_at
    from {{ source('agency_work', 'dvc_portal__citizen_accounts') }}

),

renamed as (

    select
        -- ids
        make_date(period_year, period_month, 1) as month,
        agency_code,
        record_hash,

        -- attributes
        (payload -> 'item' ->> 'accountsNew')::bigint as accounts_new,
        (payload -> 'item' ->> 'accountsTotal')::bigint as accounts_total,
        (payload -> 'item' ->> 'accountsVerified')::bigint as accounts_verified,

        -- load metadata
        received_at,
        batch_id

    from source

)

select * from renamed
