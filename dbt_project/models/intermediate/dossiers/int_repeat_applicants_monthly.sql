{#-
    Repeat applicants moving online, per month of acceptance (Vietnam time) and scope (province,
    level of the agency version in force on the acceptance day, agency), from accepted dossiers only.

    In month M and scope S, a repeat applicant is an applicant (applicant_key, not null) with an
    accepted dossier accepted in M in S and an accepted dossier accepted in an earlier month (in any
    scope, since the data starts). The applicant is moving online when EVERY one of their dossiers
    of M in S is online remote (one counter or staff-keyed dossier that month is not "submitting by
    themselves"). An applicant counts once per (M, S) however many dossiers they have.

    Rows: every (M, S) with an accepted dossier, with 0 when none of its applicants is a repeat one.

    A table (issue 14): as a view it was computed once by kpi_citizen_accounts_monthly and once more by
    each of its six data tests (every accepted dossier grouped by applicant each time; about 70 s of
    node time per build at 1 M dossiers on a busy machine). Its rows are months x scopes, a few hundred.
-#}
{{ config(materialized='table') }}
with

dossiers as (

    select * from {{ ref('int_dossiers_classified') }}

),

accepted as (

    select
        {{ vn_month('accepted_at') }} as month,
        applicant_key,
        agency_code,
        agency_level,
        is_online_remote
    from dossiers
    where is_accepted

),

first_months as (

    select applicant_key, min(month) as first_month
    from accepted
    where applicant_key is not null
    group by applicant_key

),

repeat_dossiers as (

    -- the dossiers of repeat applicants, per month x applicant x agency (and its level) BEFORE the
    -- fan-out into scopes (issue 14): "every dossier online remote" of a level or the province is
    -- the bool_and of its agencies' bool_and
    select
        accepted.month,
        accepted.applicant_key,
        accepted.agency_code,
        accepted.agency_level,
        bool_and(accepted.is_online_remote) as is_online_remote_only
    from accepted
    inner join first_months
        on first_months.applicant_key = accepted.applicant_key
    where first_months.first_month < accepted.month
    group by accepted.month, accepted.applicant_key, accepted.agency_code, accepted.agency_level

),

scoped as (

    {{ dossier_kpi_scopes('repeat_dossiers', ['month', 'applicant_key', 'is_online_remote_only']) }}

),

repeat_applicants as (

    select
        month,
        scope,
        scope_code,
        applicant_key,
        bool_and(is_online_remote_only) as is_online_remote_only
    from scoped
    group by month, scope, scope_code, applicant_key

),

agency_months as (

    select distinct month, agency_code, agency_level
    from accepted

),

scopes_with_dossiers as (

    select distinct month, scope, scope_code
    from ({{ dossier_kpi_scopes('agency_months', ['month']) }}) as agency_month_scopes

),

final as (

    select
        scopes_with_dossiers.month,
        scopes_with_dossiers.scope,
        scopes_with_dossiers.scope_code,
        count(repeat_applicants.applicant_key) as repeat_applicants,
        count(repeat_applicants.applicant_key) filter (
            where repeat_applicants.is_online_remote_only
        ) as repeat_applicants_online_remote
    from scopes_with_dossiers
    left join repeat_applicants
        on repeat_applicants.month = scopes_with_dossiers.month
        and repeat_applicants.scope = scopes_with_dossiers.scope
        and repeat_applicants.scope_code = scopes_with_dossiers.scope_code
    group by scopes_with_dossiers.month, scopes_with_dossiers.scope, scopes_with_dossiers.scope_code

)

select * from final
