{#-
    Month x agency: every agency with a version in force on at least one day of the month, for the
    months issue 13's two feeds cover (months asked for by a successful load of the agencies' reports
    or of the citizen accounts, and months present in their data). The version taken is the latest
    one in force during the month (the one in force on the last day of the month it was in force):
    an agency that becomes a ward on the 1st of October is a ward in October.

    in force during month M (int_agency_versions.in_force_until is exclusive):
        valid_from < first day of M+1 and (in_force_until is null or in_force_until > first day of M)
    is_report_month: M is a month of the agencies' reports (the agencies in force then are expected
    to report on it); is_accounts_month: M is a month of the citizen accounts.
-#}
with

agency_versions as (

    select * from {{ ref('int_agency_versions') }}

),

batches as (

    select * from {{ ref('stg_pipeline__load_batches') }}
    where status = 'success'
        and interval_start is not null

),

reports as (

    select * from {{ ref('stg_agency_work__agency_reports') }}

),

accounts as (

    select * from {{ ref('stg_agency_work__citizen_accounts') }}

),

feed_months as (

    select {{ vn_month('interval_start') }} as month, 'report' as feed
    from batches
    where source = 'one_stop_shop' and entity = 'agency_report'

    union

    select {{ vn_month('interval_start') }}, 'accounts'
    from batches
    where source = 'dvc_portal' and entity = 'citizen_accounts'

    union

    select month, 'report' from reports

    union

    select month, 'accounts' from accounts

),

months as (

    select
        month,
        bool_or(feed = 'report') as is_report_month,
        bool_or(feed = 'accounts') as is_accounts_month
    from feed_months
    group by month

),

in_force as (

    select distinct on (months.month, agency_versions.agency_code)
        months.month,
        agency_versions.agency_code,
        agency_versions.agency_version_key,
        agency_versions.agency_name,
        agency_versions.level as agency_level,
        months.is_report_month,
        months.is_accounts_month
    from months
    inner join agency_versions
        on agency_versions.valid_from < {{ month_start('months.month', 1) }}
        and coalesce(agency_versions.in_force_until, 'infinity'::date) > months.month
    order by months.month, agency_versions.agency_code, agency_versions.valid_from desc

)

select * from in_force
