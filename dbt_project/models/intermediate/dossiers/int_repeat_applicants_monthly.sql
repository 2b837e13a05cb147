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
    each of its six data tests. Its rows are months x scopes, a few hundred.

    Sixth round of issue 14: nearly every applicant has a single accepted dossier (at 1 M dossiers,
    929 of 959,712 applicants have more than one), yet finding the first month of every applicant
    hashed 960,000 64-character keys, spilled them to disk and joined them back to every dossier
    (3.6-4.9 s per night). A repeat applicant has at least two accepted dossiers, so the applicants
    with more than one are found first, from the index on int_dossiers_classified (applicant_key,
    is_accepted) (post-hook there) in key order, and only their dossiers are read, through the same
    index. Which months and agencies have an accepted dossier comes from segment 0 of
    int_dossier_month_end_states (accepted_month, agency_code, agency_level of each dossier of
    int_dossiers_classified, the month already computed), not from a second pass over every dossier.
    The first step is an index-only scan (0.4 s at 1 M) while the table's visibility map is recent
    (autovacuum); the nightly merges wear it down (43 % of the pages all-visible after 13 nights
    without a vacuum: 1.6 s), and without one PostgreSQL hashes every key instead (1.1 s).
-#}
{{ config(materialized='table') }}
with

dossiers as not materialized (

    -- read twice below, each time through the index: not materialized
    select * from {{ ref('int_dossiers_classified') }}

),

dossier_months as (

    select * from {{ ref('int_dossier_month_end_states') }}

),

applicants_with_several as (

    -- the only applicants who can be repeat applicants: more than one accepted dossier
    select applicant_key
    from dossiers
    where is_accepted
        and applicant_key is not null
    group by applicant_key
    having count(*) > 1

),

accepted as (

    -- their accepted dossiers, looked up per applicant (`offset 0` keeps the lookup through the
    -- index whatever the row estimates: PostgreSQL cannot know how few applicants the `having` keeps)
    select
        {{ vn_month('applicant_dossiers.accepted_at') }} as month,
        applicants_with_several.applicant_key,
        applicant_dossiers.agency_code,
        applicant_dossiers.agency_level,
        applicant_dossiers.is_online_remote
    from applicants_with_several
    cross join lateral (
        select dossiers.accepted_at, dossiers.agency_code, dossiers.agency_level, dossiers.is_online_remote
        from dossiers
        where dossiers.applicant_key = applicants_with_several.applicant_key
            and dossiers.is_accepted
        offset 0
    ) as applicant_dossiers

),

first_months as (

    select applicant_key, min(month) as first_month
    from accepted
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

    -- every month x agency (and level) with an accepted dossier: segment 0 of each accepted dossier
    select distinct accepted_month as month, agency_code, agency_level
    from dossier_months
    where segment_number = 0
        and accepted_month is not null

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
