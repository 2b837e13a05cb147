{{
    config(
        materialized='incremental',
        unique_key='dossier_code',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ 'set local jit = off' if is_incremental() else 'set local jit = on' }}",
        indexes=[
            {'columns': ['dossier_code', 'segment_number'], 'unique': True},
            {'columns': ['classified_derived_at']},
        ],
    )
}}

{#-
    What each dossier contributes to kpi_timeliness_monthly, per dossier, so that the mart only
    adds up a narrow table (issue 14: the mart re-expanded every version of every dossier into its
    month ends and joined it with every dossier, about 30 s of each nightly build at 1 M dossiers).

    Rows of a dossier (dossier_code, segment_number):
      segment 0      one per dossier (every dossier of int_dossiers_classified, accepted or not):
                     its current agency_code / agency_level, and when accepted: accepted_month
                     (the month of acceptance), closed_month (the month of closed_at, when closed),
                     finished_month + timeliness + has_due_date (when finished with a finish time)
      segment v + 1  one per version v of int_dossier_status_history (version 0 = before the first
                     received version is segment 1) that is accepted and may be open at a month
                     end (its months are not an empty range): the months
                     first_month..last_month whose end T (the first moment of the next month in
                     Vietnam) lies in the version's interval (valid_from < T <= valid_to) while the
                     dossier is open (accepted_at < T <= closed_at):
                       first_month = the month of greatest(valid_from, accepted_at)
                       last_month  = the month before the month of least(valid_to, closed_at);
                                     null when both are null (open ended: up to the last month
                                     of the mart's grid, which depends on every dossier)
                     with the version's is_waiting, has_due_date and due_month (the month of its
                     due day: overdue at the end of month m when due_month <= m and not waiting)
    kpi_timeliness_monthly clips each segment to its grid's bounds and expands it into months;
    this is the expansion it did itself before, per version, now stored.

    Incremental (delete+insert on dossier_code): a run re-derives every dossier whose row of
    int_dossiers_classified was derived after the newest classified_derived_at stored here
    (int_dossiers_classified.derived_at, the time of the run that last re-derived the dossier; it
    re-derives a dossier on a new version, so its history is re-derived in the same run). Each
    dossier has its segment 0, so the delete removes every old segment of a re-derived dossier. A
    run that fails leaves the watermark where it was: the next run takes its dossiers as well.
    A change to this model's logic, to int_dossier_status_history's or to var
    status_6_pauses_clock needs `--full-refresh`.
    An incremental run sets jit off (pre_hook): it reads a few thousand dossiers, but without fresh
    statistics on derived_at PostgreSQL expects a third of the table and JIT-compiles the query,
    which cost more (about 2 s at 1 M dossiers) than the query itself; a full build sets it on,
    against the warehouse's default (off, bootstrap): over every dossier compiled code pays back
    (BENCHMARKS.md "Sixth round"). Each run ends with an
    `analyze` of the table (post-hook in dbt_project.yml, about 0.3 s): kpi_timeliness_monthly's plan reads it (without
    statistics PostgreSQL expected millions of groups there and JIT-compiled the query for 2 s).
-#}
{%- if is_incremental() and execute %}
{#- the watermark as a literal, read before the query is planned: as a subquery PostgreSQL cannot
    estimate how few rows it selects, and it scanned the whole history (about 4 s at 1 M dossiers) -#}
{%- set watermark_query -%}
    select coalesce(max(classified_derived_at), '-infinity'::timestamptz)::text from {{ this }}
{%- endset -%}
{%- set watermark = run_query(watermark_query).columns[0].values()[0] -%}
{%- endif %}

with

dossiers as (

    select * from {{ ref('int_dossiers_classified') }}
    {%- if is_incremental() %}
    where derived_at > '{{ watermark }}'::timestamptz
    {%- endif %}

),

history as (

    -- each accepted version with its dossier's current agency, level and derived_at
    {%- if is_incremental() %}
    -- the versions of the re-derived dossiers, by lookups on history's unique index (dossier_code,
    -- version_number); `offset 0` keeps the lookup per dossier whatever the row estimates. The
    -- dossier's columns come along from the lateral's own row: joining `dossiers` again on
    -- dossier_code let PostgreSQL, when it expected one re-derived dossier (statistics taken before
    -- the day's merge), plan a nested loop of every version against every dossier, quadratic in the
    -- day's size (54,796 dossiers at 10 M: stopped after 5 minutes; BENCHMARKS.md "Whole nightly run
    -- and 10 M dossiers").
    select
        versions.*,
        dossiers.agency_code as dossier_agency_code,
        dossiers.agency_level as dossier_agency_level,
        dossiers.derived_at as dossier_derived_at
    from dossiers
    cross join lateral (
        select * from {{ ref('int_dossier_status_history') }} as history
        where history.dossier_code = dossiers.dossier_code
            and history.is_accepted
        offset 0
    ) as versions
    {%- else %}
    select
        history.*,
        dossiers.agency_code as dossier_agency_code,
        dossiers.agency_level as dossier_agency_level,
        dossiers.derived_at as dossier_derived_at
    from {{ ref('int_dossier_status_history') }} as history
    inner join dossiers
        on history.dossier_code = dossiers.dossier_code
    where history.is_accepted
    {%- endif %}

),

dossier_rows as (

    select
        dossier_code,
        0 as segment_number,
        agency_code,
        agency_level,
        case when is_accepted then {{ vn_month('accepted_at') }} end as accepted_month,
        case when is_accepted then {{ vn_month('closed_at') }} end as closed_month,
        case when is_accepted and is_finished then {{ vn_month('finished_at') }} end as finished_month,
        case when is_accepted and is_finished and finished_at is not null then timeliness end as timeliness,
        has_due_date,
        null::date as first_month,
        null::date as last_month,
        null::date as due_month,
        false as is_waiting,
        derived_at as classified_derived_at
    from dossiers

),

segments as (

    select
        history.dossier_code,
        history.version_number + 1 as segment_number,
        history.dossier_agency_code as agency_code,
        history.dossier_agency_level as agency_level,
        null::date as accepted_month,
        null::date as closed_month,
        null::date as finished_month,
        null::text as timeliness,
        history.due_at is not null as has_due_date,
        {{ vn_month('greatest(history.valid_from, history.accepted_at)') }} as first_month,
        least(
            {{ month_start(vn_month('history.valid_to'), -1) }},
            {{ month_start(vn_month('history.closed_at'), -1) }}
        ) as last_month,
        {{ month_start('history.due_day') }} as due_month,
        history.is_waiting,
        history.dossier_derived_at as classified_derived_at
    from history

),

final as (

    select * from dossier_rows
    union all
    select * from segments
    -- a version with no month end inside its interval contributes nothing
    where last_month is null or first_month <= last_month

)

select
    dossier_code,
    segment_number::integer as segment_number,
    agency_code,
    agency_level,
    accepted_month,
    closed_month,
    finished_month,
    timeliness,
    has_due_date,
    first_month,
    last_month,
    due_month,
    is_waiting,
    classified_derived_at
from final
