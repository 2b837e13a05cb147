{#-
    Online and online-remote rates of accepted dossiers, per month of acceptance (Vietnam time)
    and scope: province (all agencies), level (TINH/HUYEN/XA of the agency version in force on the
    acceptance day) and agency.

    Rows: every month from the first to the last month with an accepted dossier, for every scope
    that has an accepted dossier in any month (a dense grid: a month without accepted dossiers in a
    scope is a row with 0 accepted and null rates, not a missing row).

    Target: the seed `targets`, indicator b3_online_remote_rate, for the row's scope, scope_code
    and month; when there is none, the province target of that month. The 2024 plan is
    province-wide and every level and agency is held to it.
-#}
with

dossiers as (

    select * from {{ ref('int_dossiers_classified') }}

),

targets as (

    select * from {{ ref('targets') }}

),

accepted as (

    -- accepted dossiers counted per month x agency x level x flags BEFORE the fan-out into scopes
    -- (issue 14): the scopes macro then copies a few thousand counted rows, not every dossier three
    -- times
    select
        {{ vn_month('accepted_at') }} as month,
        agency_code,
        agency_level,
        is_online,
        is_online_remote,
        count(*) as dossiers
    from dossiers
    where is_accepted
    group by 1, 2, 3, 4, 5

),

scoped as (

    {{ dossier_kpi_scopes('accepted', ['month', 'is_online', 'is_online_remote', 'dossiers']) }}

),

months as (

    select month_start::date as month
    from (select min(month) as first_month, max(month) as last_month from accepted) as bounds
    cross join lateral {{ month_series('bounds.first_month', 'bounds.last_month') }} as month_start

),

scopes as (

    -- every scope with an accepted dossier in some month
    select distinct scope, scope_code
    from ({{ dossier_kpi_scopes('accepted') }}) as accepted_scopes

),

counted as (

    select
        month,
        scope,
        scope_code,
        sum(dossiers)::bigint as dossiers_accepted,
        coalesce(sum(dossiers) filter (where is_online), 0)::bigint as dossiers_online,
        coalesce(sum(dossiers) filter (where is_online_remote), 0)::bigint as dossiers_online_remote
    from scoped
    group by month, scope, scope_code

),

grid as (

    select
        months.month,
        scopes.scope,
        scopes.scope_code,
        coalesce(counted.dossiers_accepted, 0) as dossiers_accepted,
        coalesce(counted.dossiers_online, 0) as dossiers_online,
        coalesce(counted.dossiers_online_remote, 0) as dossiers_online_remote
    from months
    cross join scopes
    left join counted
        on months.month = counted.month
        and scopes.scope = counted.scope
        and scopes.scope_code = counted.scope_code

),

rated as (

    select
        *,
        -- unrounded; trim_scale only drops the trailing zeros of numeric division (0.6, not
        -- 0.60000000000000000000)
        trim_scale(dossiers_online::numeric / nullif(dossiers_accepted, 0)) as online_rate,
        trim_scale(dossiers_online_remote::numeric / nullif(dossiers_accepted, 0)) as online_remote_rate
    from grid

),

plan as (

    select scope, scope_code, month, target
    from targets
    where indicator_code = 'b3_online_remote_rate'

),

targeted as (

    select
        rated.*,
        coalesce(own_target.target, province_target.target) as target_rate,
        case
            when own_target.target is not null then rated.scope
            when province_target.target is not null then 'province'
        end as target_scope
    from rated
    left join plan as own_target
        on rated.scope = own_target.scope
        and rated.scope_code = own_target.scope_code
        and rated.month = own_target.month
    left join plan as province_target
        on province_target.scope = 'province'
        and province_target.scope_code = 'province'
        and rated.month = province_target.month

),

final as (

    select
        month,
        scope,
        scope_code,
        dossiers_accepted,
        dossiers_online,
        dossiers_online_remote,
        online_rate,
        online_remote_rate,
        target_rate,
        case
            when online_remote_rate is null or target_rate is null then null
            else online_remote_rate >= target_rate
        end as meets_target,
        target_scope
    from targeted

),

labelled as (

    -- readable names beside the codes, for the BI tool: scope_label, level_label, agency_name
    {{ kpi_scope_labels('final') }}

)

select * from labelled
