{{
    config(
        materialized='incremental',
        unique_key='dossier_code',
        incremental_strategy='merge_or_delete_insert',
        on_schema_change='fail',
        indexes=[{'columns': ['dossier_code'], 'unique': True}],
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
    macros/incremental_merge.sql). Counting versions instead of comparing received_at with a
    watermark also catches a batch that commits after a later-started one. A re-delivered version
    is not a new raw row, so it changes nothing. A change to this model's logic or columns needs
    `--full-refresh` (on_schema_change 'fail' stops a run whose columns no longer match).
-#}
with

{%- if is_incremental() %}

version_counts as (

    select dossier_code, count(*) as versions_received
    from {{ ref('stg_one_stop_shop__dossiers') }}
    group by dossier_code

),

changed_dossiers as materialized (

    -- dossiers with a version not yet taken into account here (or not here at all); version_counts
    -- is an index-only scan of raw's primary key
    select version_counts.dossier_code
    from version_counts
    left join {{ this }} as built
        on version_counts.dossier_code = built.dossier_code
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

supplement_requests as (

    select
        current_versions.dossier_code,
        {{ parse_source_ts("request ->> 'NgayBoSung'") }} as requested_at,
        {{ parse_source_ts("request ->> 'NgayHenTraMoi'") }} as new_due_at
    from current_versions
    cross join lateral jsonb_array_elements(current_versions.supplements) as request

),

supplements_summarised as (

    select
        dossier_code,
        count(*) as supplement_count,
        (
            array_agg(new_due_at order by requested_at desc nulls last, new_due_at desc)
                filter (where new_due_at is not null)
        )[1] as latest_new_due_at
    from supplement_requests
    group by dossier_code

),

fees_summarised as (

    select
        current_versions.dossier_code,
        bool_or(
            case
                when btrim(fee ->> 'Gia') ~ '^[0-9]+(\.[0-9]+)?$' then (fee ->> 'Gia')::numeric > 0
                else false
            end
        ) as has_fee
    from current_versions
    cross join lateral jsonb_array_elements(current_versions.fees) as fee
    group by current_versions.dossier_code

),

results_summarised as (

    select
        current_versions.dossier_code,
        bool_or(coalesce(btrim(result_item ->> 'DuongDanTepTinKetQua'), '') <> '') as has_e_result
    from current_versions
    cross join lateral jsonb_array_elements(current_versions.results) as result_item
    group by current_versions.dossier_code

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
            supplements_summarised.latest_new_due_at,
            current_versions.due_at_original
        ) as due_at,
        current_versions.finished_at,
        current_versions.returned_at,
        current_versions.updated_at,

        -- nested lists, summarised
        coalesce(supplements_summarised.supplement_count, 0)::integer as supplement_count,
        coalesce(fees_summarised.has_fee, false) as has_fee,
        coalesce(results_summarised.has_e_result, false) as has_e_result,

        -- load metadata
        current_versions.versions_received::integer as versions_received,
        current_versions.source_updated_at,
        current_versions.received_at,
        current_versions.batch_id

    from current_versions
    left join supplements_summarised
        on current_versions.dossier_code = supplements_summarised.dossier_code
    left join fees_summarised
        on current_versions.dossier_code = fees_summarised.dossier_code
    left join results_summarised
        on current_versions.dossier_code = results_summarised.dossier_code

)

select * from final
