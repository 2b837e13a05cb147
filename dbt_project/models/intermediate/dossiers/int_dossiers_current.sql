{#- JIT (pre_hook): off in an incremental run - it reads a day's dossiers, but PostgreSQL, without fresh
    statistics on the day's rows, expects far more and JIT-compiled the query for 2-3 s at 1 M dossiers
    (issue 14, third round; as int_dossier_month_end_states); on in a full build, against the
    warehouse's default (off, bootstrap): compiled code pays back over every dossier (the 1 M full
    rebuild: 116.7 s with JIT, 125.5 s without; BENCHMARKS.md "Sixth round"). -#}
{{
    config(
        materialized='incremental',
        unique_key='dossier_code',
        incremental_strategy='merge_or_delete_insert',
        on_schema_change='fail',
        pre_hook="{{ 'set local jit = off' if is_incremental() else 'set local jit = on' }}",
        indexes=[
            {'columns': ['dossier_code'], 'unique': True},
            {'columns': ['derived_at']},
        ],
    )
}}

{#-
    The current state of every dossier: its latest received version, so that a dossier delivered
    several times (or changed several times) counts once. "Latest" = greatest source_updated_at
    (NgayCapNhat), then greatest received_at, then the smallest record_hash (only a deterministic
    tie-break).

    Adds what the marts need from the nested lists of that version:
    - effective due date: the latest non-null NgayHenTraMoi among the supplement requests, taken in
      NgayBoSung order (latest request first), else NgayHenTra (docs/contracts/marts.md "effective due date");
    - supplement_count, has_fee (a fee item with Gia > 0), has_e_result (a result item with a
      non-empty DuongDanTepTinKetQua).

    Incremental (the JSON parsing and the window over every version are the dossier chain's most
    expensive step, and raw only grows): a run re-derives only the dossiers whose number of
    received versions differs from versions_received here (a new version, or a dossier not here
    yet), from ALL their versions (old and new, so "latest" is chosen among every version), and
    merges them on dossier_code (MERGE on PostgreSQL 15+, else delete+insert:
    macros/incremental_merge.sql). A re-delivered version is not a new raw row, so it changes nothing.
    Which dossiers can have a new version (issue 14, third round; counting every dossier's versions
    and comparing 1 M counts with 1 M rows took most of this model's nightly time): those with a raw
    row in a batch after through_batch_id of the last run. Each row stores the run's through_batch_id:
    the highest batch_id up to which every load batch had finished when the run's query took its
    snapshot (the same statement, so all their rows were visible to it); a batch still running then,
    or one that commits after a later-started one, has a higher id and is looked at again by the next
    run. Those candidates' versions are then counted (the count decides, as before). A run that derives
    nothing leaves the watermark where it was (it only widens the next run's candidates). A change to
    this model's logic or columns needs `--full-refresh` (on_schema_change 'fail' stops a run whose
    columns no longer match).

    derived_at (indexed): now() of the run that last (re-)derived the row. int_dossier_status_history
    and int_dossiers_classified take the dossiers derived here after the newest current_derived_at
    they stored (issue 14, third round: instead of comparing 1 M rows with 1 M rows each night), so a
    build that stopped after this model is caught up by the next one.
-#}
{%- if is_incremental() and execute %}
{#- the batch watermark of this model's last run that derived a row (every row of a run carries it; the
    newest by the derived_at index), read before the query is planned, as a literal -#}
{%- set watermark_query -%}
    select coalesce((select through_batch_id from {{ this }} order by derived_at desc limit 1), -1)::text
{%- endset -%}
{%- set since_batch = run_query(watermark_query).columns[0].values()[0] -%}
{%- endif %}
with

through as (

    -- the highest batch_id up to which every load batch had finished when this statement's snapshot was
    -- taken (ids are allocated when a batch starts; a batch is one transaction): every raw row of those
    -- batches is visible to this run (ioc_pipeline/warehouse/dbt_test_watermark.py, the same rule)
    select coalesce(
        (select min(batch_id) - 1 from {{ ref('stg_pipeline__load_batches') }} where status = 'running'),
        (select max(batch_id) from {{ ref('stg_pipeline__load_batches') }}),
        0
    )::bigint as through_batch_id

),

{%- if is_incremental() %}

candidates as (

    -- dossiers with a raw version in a batch after the watermark of the last run (raw's batch_id index)
    select distinct dossier_code
    from {{ ref('stg_one_stop_shop__dossiers') }}
    where batch_id > {{ since_batch }}

),

changed_dossiers as materialized (

    -- those with a version not yet taken into account here (or not here at all): their number of
    -- versions (an index-only count on raw's primary key per dossier) differs from versions_received
    select candidates.dossier_code
    from candidates
    cross join lateral (
        select count(*) as versions_received
        from {{ ref('stg_one_stop_shop__dossiers') }} as stg
        where stg.dossier_code = candidates.dossier_code
        offset 0
    ) as version_counts
    left join {{ this }} as built
        on candidates.dossier_code = built.dossier_code
    where built.dossier_code is null
        or built.versions_received <> version_counts.versions_received

),
{%- endif %}

dossier_versions as (

    {%- if is_incremental() %}
    -- every version (old and new) of each changed dossier, by primary-key lookups: `offset 0`
    -- keeps the lookup per dossier (as a plain semi-join PostgreSQL scanned all of raw: 8 s of
    -- the 11 s this step took at 1M dossiers; 1.4-2 s now)
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

ranked as (

    select
        *,
        row_number() over (
            partition by dossier_code
            order by source_updated_at desc, received_at desc, record_hash
        ) as version_rank,
        count(*) over (partition by dossier_code) as versions_received
    from dossier_versions

),

current_versions as (

    select * from ranked
    where version_rank = 1

),

final as (

    select
        -- ids
        current_versions.dossier_code,
        current_versions.record_hash,
        current_versions.procedure_code,
        current_versions.agency_code,
        current_versions.applicant_key,

        -- codes
        current_versions.channel_code,
        current_versions.submit_place_code,
        current_versions.applicant_type,
        current_versions.status_code,
        current_versions.paid_online_code,

        -- timestamps
        current_versions.submitted_at,
        current_versions.accepted_at,
        current_versions.due_at_original,
        coalesce(
            supplements.latest_new_due_at,
            current_versions.due_at_original
        ) as due_at,
        current_versions.finished_at,
        current_versions.returned_at,
        current_versions.updated_at,

        -- nested lists, summarised
        coalesce(supplements.supplement_count, 0)::integer as supplement_count,
        coalesce(fees.has_fee, false) as has_fee,
        coalesce(results.has_e_result, false) as has_e_result,

        -- load metadata
        current_versions.versions_received::integer as versions_received,
        current_versions.source_updated_at,
        current_versions.received_at,
        current_versions.batch_id,
        now() as derived_at,
        (select through_batch_id from through) as through_batch_id

    from current_versions
    -- the nested lists of the version, summarised per row: lateral aggregates over its own arrays (an
    -- empty or null list gives count 0 / null), no join on dossier_code. (Issue 14, third round: as
    -- CTEs grouped by dossier and left-joined back, the incremental run's plan - few rows expected, raw's
    -- statistics not knowing the day's batch yet - rescanned the grouped fees and results once per
    -- dossier: 9 of the model's 10 s at 1 M dossiers.)
    cross join lateral (
        select
            count(*) as supplement_count,
            (
                array_agg(new_due_at order by requested_at desc nulls last, new_due_at desc)
                    filter (where new_due_at is not null)
            )[1] as latest_new_due_at
        from (
            select
                {{ parse_source_ts("request ->> 'NgayBoSung'") }} as requested_at,
                {{ parse_source_ts("request ->> 'NgayHenTraMoi'") }} as new_due_at
            from jsonb_array_elements(current_versions.supplements) as request
        ) as requests
    ) as supplements
    cross join lateral (
        select
            bool_or(
                case
                    when btrim(fee ->> 'Gia') ~ '^[0-9]+(\.[0-9]+)?$' then (fee ->> 'Gia')::numeric > 0
                    else false
                end
            ) as has_fee
        from jsonb_array_elements(current_versions.fees) as fee
    ) as fees
    cross join lateral (
        select bool_or(coalesce(btrim(result_item ->> 'DuongDanTepTinKetQua'), '') <> '') as has_e_result
        from jsonb_array_elements(current_versions.results) as result_item
    ) as results

)

select * from final
