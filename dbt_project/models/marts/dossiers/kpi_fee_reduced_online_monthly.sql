{#-
    Online-remote uptake of the fee-reduced procedures (issue 13 item 2), per month of acceptance
    (Vietnam time) x scope (province, level, agency: macro dossier_kpi_scopes, as
    kpi_online_rate_monthly) x procedure group, so the fee-reduced procedures read against all
    procedures in the same row set:
      procedure_group 'fee_reduced'  dossiers whose procedure (MaTTHC) the portal's catalog flags
                                     fee_reduced_online (dim_procedure: the fee is lower online)
      procedure_group 'all'          every accepted dossier (equals kpi_online_rate_monthly)
    Formulas (the definitions of docs/contracts/marts.md):
      dossiers_accepted       accepted dossiers accepted in the month, in the scope and group
      dossiers_online         of those, online (KenhThucHien = 2)
      dossiers_online_remote  of those, online remote (online and NoiNopHoSo 1 or null)
      online_rate = dossiers_online / dossiers_accepted
      online_remote_rate = dossiers_online_remote / dossiers_accepted
      share_of_accepted = dossiers_accepted / the 'all' row's dossiers_accepted (the group's weight)
    rates unrounded, null when the denominator is 0.
    Choices: the flag is the catalog's latest received version (dim_procedure keeps no history of
    it), applied to every month; a dossier whose procedure is not in the catalog is not
    fee-reduced (it counts in 'all' only). No target: the 2024 plan sets none for this group.
    Rows: the dense grid of kpi_online_rate_monthly (every month from the first to the last month
    with an accepted dossier x every scope with an accepted dossier), for both groups.
-#}
with

dossiers as (

    select * from {{ ref('int_dossiers_classified') }}

),

procedures as (

    select * from {{ ref('dim_procedure') }}

),

group_labels as (

    select * from {{ ref('code_labels') }}
    where code_set = 'procedure_group'

),

accepted as (

    -- accepted dossiers counted per month x agency x level x flags BEFORE the fan-out into scopes
    -- (issue 14): the scopes macro then copies a few thousand counted rows, not every dossier three
    -- times
    select
        {{ vn_month('dossiers.accepted_at') }} as month,
        dossiers.agency_code,
        dossiers.agency_level,
        dossiers.is_online,
        dossiers.is_online_remote,
        coalesce(procedures.fee_reduced_online, false) as is_fee_reduced,
        count(*) as dossiers
    from dossiers
    left join procedures
        on dossiers.procedure_code = procedures.procedure_code
    where dossiers.is_accepted
    group by 1, 2, 3, 4, 5, 6

),

scoped as (

    {{ dossier_kpi_scopes('accepted', ['month', 'is_online', 'is_online_remote', 'is_fee_reduced', 'dossiers']) }}

),

months as (

    select month_start::date as month
    from (select min(month) as first_month, max(month) as last_month from accepted) as bounds
    cross join lateral {{ month_series('bounds.first_month', 'bounds.last_month') }} as month_start

),

scopes as (

    select distinct scope, scope_code
    from ({{ dossier_kpi_scopes('accepted') }}) as accepted_scopes

),

procedure_groups as (

    select 'fee_reduced'::text as procedure_group
    union all
    select 'all'

),

counted as (

    select
        scoped.month,
        scoped.scope,
        scoped.scope_code,
        procedure_groups.procedure_group,
        sum(scoped.dossiers)::bigint as dossiers_accepted,
        coalesce(sum(scoped.dossiers) filter (where scoped.is_online), 0)::bigint as dossiers_online,
        coalesce(sum(scoped.dossiers) filter (where scoped.is_online_remote), 0)::bigint
            as dossiers_online_remote
    from scoped
    inner join procedure_groups
        on procedure_groups.procedure_group = 'all'
        or scoped.is_fee_reduced
    group by scoped.month, scoped.scope, scoped.scope_code, procedure_groups.procedure_group

),

grid as (

    select
        months.month,
        scopes.scope,
        scopes.scope_code,
        procedure_groups.procedure_group,
        coalesce(counted.dossiers_accepted, 0) as dossiers_accepted,
        coalesce(counted.dossiers_online, 0) as dossiers_online,
        coalesce(counted.dossiers_online_remote, 0) as dossiers_online_remote
    from months
    cross join scopes
    cross join procedure_groups
    left join counted
        on months.month = counted.month
        and scopes.scope = counted.scope
        and scopes.scope_code = counted.scope_code
        and procedure_groups.procedure_group = counted.procedure_group

),

final as (

    select
        grid.month,
        grid.scope,
        grid.scope_code,
        grid.procedure_group,
        grid.dossiers_accepted,
        grid.dossiers_online,
        grid.dossiers_online_remote,
        trim_scale(grid.dossiers_online::numeric / nullif(grid.dossiers_accepted, 0)) as online_rate,
        trim_scale(grid.dossiers_online_remote::numeric / nullif(grid.dossiers_accepted, 0)) as online_remote_rate,
        trim_scale(grid.dossiers_accepted::numeric / nullif(all_procedures.dossiers_accepted, 0))
            as share_of_accepted,
        group_labels.label as procedure_group_label
    from grid
    inner join grid as all_procedures
        on all_procedures.procedure_group = 'all'
        and grid.month = all_procedures.month
        and grid.scope = all_procedures.scope
        and grid.scope_code = all_procedures.scope_code
    left join group_labels
        on group_labels.code = grid.procedure_group

),

labelled as (

    -- readable names beside the codes, for the BI tool: scope_label, level_label, agency_name
    {{ kpi_scope_labels('final') }}

)

select * from labelled
