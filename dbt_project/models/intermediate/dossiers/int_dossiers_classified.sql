{#-
    A table with a unique index on dossier_code: fct_dossier, both dossier KPI marts, the
    watchlist read it, so the agency-version match below runs once
    per build, not once per reader.

    Incremental (issue 14; a full rebuild took about 11 s of every nightly build at 1 M dossiers): a
    run re-derives only the dossiers whose row here is out of date and merges them on dossier_code:
      - a dossier not here yet, or whose current version changed: the dossiers int_dossiers_current
        (re-)derived after the newest current_derived_at stored here (it re-derives a dossier exactly
        when a version of it arrives; its derived_at is indexed, and the watermark is read before the
        query is planned, as a literal). Third round: this used to compare the 1 M rows there with
        the 1 M rows here (record_hash, versions_received) every night;
      - every dossier of an agency whose versions changed (agency_versions_hash: an md5 of the agency's
        rows of int_agency_versions, stored per dossier), since the version in force on its acceptance
        day may be another one now. The agencies are found first (the distinct (agency_code,
        agency_versions_hash) stored here against today's hashes, one pass over this table's
        columns, no join of 1 M rows), their dossiers only read when there is one.
    A run that fails leaves the watermark where it was: the next run takes those dossiers as well.
    Every column is a function of the dossier's current row, its agency's versions and the var
    status_6_pauses_clock: a change to that var or to this model's logic needs `--full-refresh`.
    derived_at is the time of the run that (re-)derived the row (the transaction's start, now()):
    incremental models downstream (int_dossier_month_end_states) take the rows derived after the
    newest derived_at they have seen, so a run of theirs that fails is caught up by the next one.
-#}
{#- JIT (pre_hook): off in an incremental run - it reads a day's dossiers, but PostgreSQL, without fresh
    statistics on the day's rows, expects far more and JIT-compiled the query for 2-3 s at 1 M dossiers
    (issue 14, third round; as int_dossier_month_end_states); on in a full build, against the
    warehouse's default (off, bootstrap): compiled code pays back over every dossier (the 1 M full
    rebuild: 116.7 s with JIT, 125.5 s without; BENCHMARKS.md "Sixth round"). -#}
{#- (applicant_key, is_accepted) is indexed by a post-hook (macro ensure_index, so that a warehouse
    deployed before it gets it too): int_repeat_applicants_monthly finds the applicants with more than
    one accepted dossier by an index-only scan in key order, then reads only their dossiers. -#}
{#- Each run ends with an `analyze` of the table (post-hook in dbt_project.yml, a sample of 30,000 rows): the scoped data
    tests of this table and of fct_dossier, and int_dossier_month_end_states, select the rows derived
    since a time; without statistics on derived_at PostgreSQL expects a third of the table and scanned
    all of it in each test (0.6-1.2 s per test at 1 M dossiers instead of an index lookup). -#}
{{
    config(
        materialized='incremental',
        unique_key='dossier_code',
        incremental_strategy='merge_or_delete_insert',
        on_schema_change='fail',
        pre_hook="{{ 'set local jit = off' if is_incremental() else 'set local jit = on' }}",
        post_hook="{{ ensure_index(['applicant_key', 'is_accepted']) }}",
        indexes=[
            {'columns': ['dossier_code'], 'unique': True},
            {'columns': ['derived_at']},
            {'columns': ['current_derived_at']},
        ],
    )
}}

{#-
    Every dossier in its current state, classified once. The source's codes are decoded here and
    nowhere else (docs/contracts/marts.md "Definitions used everywhere"); downstream models read the flags.

    TrangThaiHoSo (status_code): 1 submitted, 2 accepted, 3 refused at intake, 4 in process,
    5 supplement requested, 6 payment requested, 7 withdrawn, 8 stopped, 9 processing finished,
    10 result returned.
      accepted   NgayTiepNhan set and status not 1 or 3
      finished   9 or 10; withdrawn_or_stopped 7 or 8; closed = either (no longer open)
      open now   accepted and not closed; waiting now = open now with a status that stops the
                 clock: 5, and 6 while var status_6_pauses_clock is true (default; macro
                 is_waiting_status)
    KenhThucHien (channel_code) 1 or null = counter, 2 = online, 3 = public post; online remote =
    online and NoiNopHoSo (submit_place_code) 1 or null. DuocThanhToanTrucTuyen 1 or 2 = paid online.

    Timeliness inputs:
      timeliness   early / on_time / late of a finished dossier with a finish time and a due date
                   (Vietnam days: early = finished on a day before the due day; late = after
                   due_deadline_at), else null
      due_deadline_at  the last on-time instant: due_at, except that a due time of exactly
                   00:00:00 (Vietnam) means the end of that day, next day 00:00 minus 1 microsecond
                   (macro due_deadline)
      due_day      the Vietnam day of the effective due date (D in docs/contracts/marts.md)
      closed_at    when a closed dossier stopped being open: NgayKetThucXuLy; when that is missing,
                   NgayCapNhat (the latest the state can have been reached); else the acceptance.
                   (Past states - month ends, the watchlist's day - are taken from the version in
                   force then: int_dossier_status_history, with the same closing rule.)

    Agency version: the one in force on the acceptance day in Vietnam (the submission day when not
    accepted). When none is in force that day (e.g. a district agency after 1 July 2025, when the
    district level ended), nothing is taken from another version: agency_version_key and
    agency_level stay null, agency_version_match = 'none_in_force' (the agency is known) or null
    (it is not in the department list), and agency_version_missing is true. Such a dossier counts
    in the province and agency scopes of the KPIs, in no level (a warn test counts them).
-#}
{#- what the agency match below reads of an agency's versions, as one md5 per agency -#}
{%- set agency_hashes_sql -%}
    select
        agency_code,
        md5(string_agg(
            concat_ws('|', agency_version_key, level, valid_from::text, coalesce(in_force_until::text, '-')),
            ';' order by valid_from, agency_version_key
        )) as agency_versions_hash
    from {{ ref('int_agency_versions') }}
    group by agency_code
{%- endset -%}
{%- if is_incremental() and execute %}
{#- Read before the query is planned, as literals (PostgreSQL cannot estimate a subquery's watermark, and
    would plan for many rows): the newest current_derived_at stored, and the agencies whose stored
    agency_versions_hash differs from today's (null agency_code: never in the department list, its
    hash is always null). -#}
{%- set watermark_query -%}
    select coalesce(max(current_derived_at), '-infinity'::timestamptz)::text from {{ this }}
{%- endset -%}
{%- set watermark = run_query(watermark_query).columns[0].values()[0] -%}
{%- set agencies_query -%}
    with today as (
        {{ agency_hashes_sql }}
    ),
    stored as (
        select distinct agency_code, agency_versions_hash from {{ this }} where agency_code is not null
    )
    select stored.agency_code
    from stored
    left join today on stored.agency_code = today.agency_code
    where stored.agency_versions_hash is distinct from today.agency_versions_hash
    group by stored.agency_code
    order by stored.agency_code
{%- endset -%}
{%- set changed_agencies = run_query(agencies_query).columns[0].values() -%}
{%- endif %}
with

agency_versions as (

    select * from {{ ref('int_agency_versions') }}

),

agency_hashes as (

    -- what the agency match below reads of an agency's versions, as one md5 per agency
    {{ agency_hashes_sql }}

),

dossiers as (

    select current_dossiers.*
    from {{ ref('int_dossiers_current') }} as current_dossiers
    {%- if is_incremental() %}
    -- a new dossier or a new current version: derived in int_dossiers_current since this model's last
    -- run (its derived_at index; read once, not joined back by dossier_code: PostgreSQL, without
    -- statistics on derived_at, expects a third of the table and would hash all 1 M rows for the join)
    where current_dossiers.derived_at > '{{ watermark }}'::timestamptz
        {%- if changed_agencies %}
        -- every dossier of an agency whose versions changed
        or current_dossiers.agency_code in (
            {%- for code in changed_agencies %}'{{ code | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        )
        {%- endif %}
    {%- endif %}

),

decoded as (

    select
        *,
        accepted_at is not null and coalesce(status_code not in (1, 3), true) as is_accepted,
        coalesce(status_code in (9, 10), false) as is_finished,
        coalesce(status_code in (7, 8), false) as is_withdrawn_or_stopped,
        {{ is_waiting_status('status_code') }} as has_waiting_status,
        case
            when channel_code is null or channel_code = 1 then 'counter'
            when channel_code = 2 then 'online'
            when channel_code = 3 then 'post'
        end as channel,
        coalesce(channel_code = 2, false) as is_online,
        coalesce(channel_code = 2 and coalesce(submit_place_code, 1) = 1, false) as is_online_remote,
        coalesce(paid_online_code in (1, 2), false) as paid_online
    from dossiers

),

classified as (

    select
        *,
        is_finished or is_withdrawn_or_stopped as is_closed,
        is_accepted and not (is_finished or is_withdrawn_or_stopped) as is_open_now,
        is_accepted and not (is_finished or is_withdrawn_or_stopped) and has_waiting_status as is_waiting_now,
        case
            when not is_finished or finished_at is null or due_at is null then null
            when {{ vn_day('finished_at') }} < {{ vn_day('due_at') }} then 'early'
            when finished_at > {{ due_deadline('due_at') }} then 'late'
            else 'on_time'
        end as timeliness,
        {{ due_deadline('due_at') }} as due_deadline_at,
        -- the day whose agency version applies: acceptance, else submission
        {{ vn_day('case when is_accepted then accepted_at else coalesce(submitted_at, accepted_at) end') }}
            as agency_reference_day
    from decoded

),

agency_candidates as (

    select
        classified.dossier_code,
        agency_versions.agency_version_key,
        agency_versions.level,
        agency_versions.valid_from,
        -- days between the reference day and the version's validity (0 = in force that day)
        case
            when classified.agency_reference_day < agency_versions.valid_from
                then agency_versions.valid_from - classified.agency_reference_day
            when agency_versions.in_force_until is not null
                and classified.agency_reference_day >= agency_versions.in_force_until
                then classified.agency_reference_day - agency_versions.in_force_until + 1
            else 0
        end as days_off
    from classified
    inner join agency_versions
        on classified.agency_code = agency_versions.agency_code
    where classified.agency_reference_day is not null

),

agency_matched as (

    -- the version in force on the reference day; when none is (the day lies outside every
    -- version of the agency), no version: key and level null, 'none_in_force'
    select distinct on (dossier_code)
        dossier_code,
        case when days_off = 0 then agency_version_key end as agency_version_key,
        case when days_off = 0 then level end as agency_level,
        case when days_off = 0 then 'in_force' else 'none_in_force' end as agency_version_match
    from agency_candidates
    order by dossier_code, days_off, valid_from desc

),

final as (

    select
        -- ids
        classified.dossier_code,
        classified.record_hash,
        classified.procedure_code,
        classified.agency_code,
        classified.applicant_key,

        -- codes as sent
        classified.channel_code,
        classified.submit_place_code,
        classified.applicant_type,
        classified.status_code,
        classified.paid_online_code,

        -- classification
        classified.is_accepted,
        classified.is_finished,
        classified.is_withdrawn_or_stopped,
        classified.is_closed,
        classified.is_open_now,
        classified.is_waiting_now,
        classified.channel,
        classified.is_online,
        classified.is_online_remote,
        classified.paid_online,
        classified.timeliness,

        -- agency version
        agency_matched.agency_version_key,
        agency_matched.agency_level,
        agency_matched.agency_version_match,
        agency_matched.agency_version_key is null as agency_version_missing,
        agency_hashes.agency_versions_hash,

        -- timestamps and the clock
        classified.submitted_at,
        classified.accepted_at,
        classified.due_at_original,
        classified.due_at,
        classified.due_deadline_at,
        {{ vn_day('classified.due_at') }} as due_day,
        classified.due_at is not null as has_due_date,
        classified.finished_at,
        classified.returned_at,
        classified.updated_at,
        case
            when classified.is_closed
                then coalesce(classified.finished_at, classified.updated_at, classified.accepted_at)
        end as closed_at,
        case
            when not classified.is_closed then null
            when classified.finished_at is not null then 'finished_at'
            when classified.updated_at is not null then 'updated_at'
            else 'accepted_at'
        end as closed_at_source,

        -- nested lists, summarised
        classified.supplement_count,
        classified.has_fee,
        classified.has_e_result,

        -- load metadata
        classified.versions_received,
        classified.source_updated_at,
        classified.received_at,
        classified.batch_id,
        now() as derived_at,
        classified.derived_at as current_derived_at

    from classified
    left join agency_matched
        on classified.dossier_code = agency_matched.dossier_code
    left join agency_hashes
        on classified.agency_code = agency_hashes.agency_code

)

select * from final
