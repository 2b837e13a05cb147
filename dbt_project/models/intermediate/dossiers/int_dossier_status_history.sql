{#- JIT (pre_hook): off in an incremental run - it reads a day's dossiers, but PostgreSQL, without fresh
    statistics on the day's rows, expects far more and JIT-compiled the query for 2-3 s at 1 M dossiers
    (issue 14, third round; as int_dossier_month_end_states); on in a full build, against the
    warehouse's default (off, bootstrap): compiled code pays back over every dossier (the 1 M full
    rebuild: 116.7 s with JIT, 125.5 s without; BENCHMARKS.md "Sixth round"). -#}
{{
    config(
        materialized='incremental',
        unique_key=['dossier_code', 'version_number'],
        incremental_strategy='merge_or_delete_insert',
        on_schema_change='fail',
        pre_hook="{{ 'set local jit = off' if is_incremental() else 'set local jit = on' }}",
        indexes=[
            {'columns': ['dossier_code', 'version_number'], 'unique': True},
            {'columns': ['current_derived_at']},
            {'columns': ['closed_at', 'valid_to']},
        ],
    )
}}

{#-
    Each dossier's status history, from its raw versions: every version the loader kept (one per
    NgayCapNhat change it saw) is an interval [valid_from, valid_to) in which that version was the
    dossier's state.

      version_number  1 = the earliest version, in the order of int_dossiers_current (NgayCapNhat =
                      source_updated_at, then received_at, then record_hash), so the last one is
                      the current version
      valid_from      the version's NgayCapNhat (source_updated_at)
      valid_to        the next version's NgayCapNhat (exclusive); null for the current version
      version 0       the time before the first received version (valid_from null, valid_to = the
                      first NgayCapNhat): the warehouse never saw that state, so the dossier is
                      judged by its first version's dates (accepted, finished, due) with no waiting
                      status (is_waiting false); this is what the current-state replay assumed

    "The version in force at instant T" = the row with (valid_from is null or valid_from < T) and
    (valid_to is null or valid_to >= T): the last version whose NgayCapNhat is before T (on or
    before the last instant of a day or month that ends at T). Versions with the same NgayCapNhat
    give zero-length intervals to all but the last of them, which is never in force.

    Per version, decoded like int_dossiers_classified: is_accepted, is_closed (7-10), closed_at
    (NgayKetThucXuLy, else NgayCapNhat, else NgayTiepNhan), is_waiting (status 5, or 6 while var
    status_6_pauses_clock; macro is_waiting_status), and the version's own effective due date (the
    last supplement request by NgayBoSung with a non-null NgayHenTraMoi, else NgayHenTra).
    "Open at T" for the version in force: is_accepted and accepted_at < T and (closed_at is null
    or closed_at >= T); "waiting at T": open and is_waiting.

    Cost (1 M dossiers, ~3-5 M versions): a full refresh reads every raw version once (the JSON of
    the supplement list of each). Incremental runs re-derive only the dossiers that
    int_dossiers_current (already merged this run) derived after the newest current_derived_at
    stored here: it re-derives a dossier exactly when its number of received versions changed, which
    is when its history changes. (Issue 14, third round: this used to compare the 1 M rows of
    int_dossiers_current with the 1 M version-0 rows here every night.) The watermark is read before
    the query is planned and put in as a literal, so PostgreSQL reads int_dossiers_current by its
    derived_at index; a run that fails leaves it where it was and the next run takes those dossiers
    too. The dossiers' versions are read by primary-key lookups and merged on (dossier_code,
    version_number): versions only grow, so no row is ever left behind. Each row keeps
    current_derived_at (indexed, for the watermark): int_dossiers_current.derived_at of the dossier
    when an incremental run derived it, the run's start (now()) in a full refresh. A change to this
    model's logic needs `--full-refresh`.
-#}
-- depends_on: {{ ref('int_dossiers_current') }}
{%- if is_incremental() and execute %}
{%- set watermark_query -%}
    select coalesce(max(current_derived_at), '-infinity'::timestamptz)::text from {{ this }}
{%- endset -%}
{%- set watermark = run_query(watermark_query).columns[0].values()[0] -%}
{%- endif %}
with

{%- if is_incremental() %}

changed_dossiers as materialized (

    select current_dossiers.dossier_code, current_dossiers.derived_at
    from {{ ref('int_dossiers_current') }} as current_dossiers
    where current_dossiers.derived_at > '{{ watermark }}'::timestamptz

),
{%- endif %}

dossier_versions as (

    {%- if is_incremental() %}
    select versions.*
    from changed_dossiers
    cross join lateral (
        select * from {{ ref('stg_one_stop_shop__dossiers') }} as stg
        where stg.dossier_code = changed_dossiers.dossier_code
        offset 0
    ) as versions
    {%- else %}
    select * from {{ ref('stg_one_stop_shop__dossiers') }}
    {%- endif %}

),

ordered as (

    select
        dossier_code,
        record_hash,
        status_code,
        accepted_at,
        finished_at,
        updated_at,
        due_at_original,
        supplements,
        source_updated_at,
        received_at,
        count(*) over (partition by dossier_code) as versions_received,
        -- the reverse of int_dossiers_current's ranking, so that the last version is the current one
        count(*) over (partition by dossier_code) + 1 - row_number() over (
            partition by dossier_code
            order by source_updated_at desc, received_at desc, record_hash
        ) as version_number
    from dossier_versions

),

versions as (

    select
        ordered.*,
        source_updated_at as valid_from,
        lead(source_updated_at) over (partition by dossier_code order by version_number) as valid_to,
        coalesce(
            (
                select new_due_at
                from (
                    select
                        {{ parse_source_ts("request ->> 'NgayBoSung'") }} as requested_at,
                        {{ parse_source_ts("request ->> 'NgayHenTraMoi'") }} as new_due_at
                    from jsonb_array_elements(ordered.supplements) as request
                ) as requests
                where new_due_at is not null
                order by requested_at desc nulls last, new_due_at desc
                limit 1
            ),
            due_at_original
        ) as due_at
    from ordered

),

classified as (

    select
        *,
        accepted_at is not null and coalesce(status_code not in (1, 3), true) as is_accepted,
        coalesce(status_code between 7 and 10, false) as is_closed
    from versions

),

with_clock as (

    select
        dossier_code,
        version_number,
        record_hash,
        status_code,
        valid_from,
        valid_to,
        is_accepted,
        accepted_at,
        is_closed,
        case when is_closed then coalesce(finished_at, updated_at, accepted_at) end as closed_at,
        {{ is_waiting_status('status_code') }} and not is_closed as is_waiting,
        due_at,
        {{ vn_day('due_at') }} as due_day,
        versions_received
    from classified

),

final as (

    select * from with_clock

    union all

    -- version 0: before the first received version
    select
        dossier_code,
        0 as version_number,
        record_hash,
        null::integer as status_code,
        null::timestamptz as valid_from,
        valid_from as valid_to,
        is_accepted,
        accepted_at,
        is_closed,
        closed_at,
        false as is_waiting,
        due_at,
        due_day,
        versions_received
    from with_clock
    where version_number = 1

)

select
    final.dossier_code,
    version_number::integer as version_number,
    record_hash,
    status_code,
    valid_from,
    valid_to,
    is_accepted,
    accepted_at,
    is_closed,
    closed_at,
    is_waiting,
    due_at,
    due_day,
    versions_received::integer as versions_received,
    {%- if is_incremental() %}
    changed_dossiers.derived_at as current_derived_at
from final
inner join changed_dossiers
    on final.dossier_code = changed_dossiers.dossier_code
    {%- else %}
    -- a full refresh reads every raw version (not int_dossiers_current): its start is later than every
    -- derived_at there, and a dossier int_dossiers_current re-derives afterwards is newer than it
    now() as current_derived_at
from final
    {%- endif %}
