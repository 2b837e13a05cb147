{#-
    Citizen accounts on the national public-service portal (breakthrough 3: "every citizen has one
    account and submits by themselves next time"), per month and scope: province, level (of the
    latest agency version in force in the month) and agency (the portal's departmentCode).

    From the portal (the latest received figures of each agency and month):
      accounts_new        accounts opened during the month (sum over the scope's agencies)
      accounts_total      accounts at the month's end
      accounts_verified   accounts linked to the national e-ID (VNeID) at the month's end
      verified_share      accounts_verified / accounts_total
    From the dossiers (int_repeat_applicants_monthly; month of acceptance, Vietnam time):
      repeat_applicants               applicants with an accepted dossier this month in the scope and
                                      an accepted dossier in an earlier month (since the data starts)
      repeat_applicants_online_remote those whose every dossier of the month in the scope was
                                      online remote
      repeat_online_remote_share      repeat_applicants_online_remote / repeat_applicants

    Rows: every month and scope with account figures or with an accepted dossier. The account columns
    are null where the portal gave no figures (not 0), the repeat columns where the scope has no
    accepted dossier that month; a share is null when its denominator is 0.
-#}
with

accounts as (

    select * from {{ ref('stg_agency_work__citizen_accounts') }}

),

agency_months as (

    select * from {{ ref('int_agency_months') }}

),

repeat_applicants as (

    select * from {{ ref('int_repeat_applicants_monthly') }}

),

latest as (

    select distinct on (month, agency_code)
        month,
        agency_code,
        accounts_new,
        accounts_total,
        accounts_verified
    from accounts
    order by month, agency_code, received_at desc, record_hash desc

),

leveled as (

    select
        latest.*,
        agency_months.agency_level
    from latest
    left join agency_months
        on agency_months.month = latest.month
        and agency_months.agency_code = latest.agency_code

),

scoped as (

    {{ dossier_kpi_scopes('leveled', ['month', 'accounts_new', 'accounts_total', 'accounts_verified']) }}

),

account_sums as (

    select
        month,
        scope,
        scope_code,
        sum(accounts_new)::bigint as accounts_new,
        sum(accounts_total)::bigint as accounts_total,
        sum(accounts_verified)::bigint as accounts_verified
    from scoped
    group by month, scope, scope_code

),

joined as (

    select
        coalesce(account_sums.month, repeat_applicants.month) as month,
        coalesce(account_sums.scope, repeat_applicants.scope) as scope,
        coalesce(account_sums.scope_code, repeat_applicants.scope_code) as scope_code,
        account_sums.accounts_new,
        account_sums.accounts_total,
        account_sums.accounts_verified,
        repeat_applicants.repeat_applicants,
        repeat_applicants.repeat_applicants_online_remote
    from account_sums
    full outer join repeat_applicants
        on repeat_applicants.month = account_sums.month
        and repeat_applicants.scope = account_sums.scope
        and repeat_applicants.scope_code = account_sums.scope_code

),

final as (

    select
        month,
        scope,
        scope_code,
        accounts_new,
        accounts_total,
        accounts_verified,
        trim_scale(accounts_verified::numeric / nullif(accounts_total, 0)) as verified_share,
        repeat_applicants,
        repeat_applicants_online_remote,
        trim_scale(repeat_applicants_online_remote::numeric / nullif(repeat_applicants, 0))
            as repeat_online_remote_share
    from joined

),

labelled as (

    -- readable names beside the codes, for the BI tool: scope_label, level_label, agency_name
    {{ kpi_scope_labels('final') }}

)

select * from labelled
