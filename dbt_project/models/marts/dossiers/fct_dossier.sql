{#-
    One row per dossier, current state (its latest received version). Definitions: marts.md; every
    flag is decided in int_dossiers_classified, this mart publishes them with their labels.

    Incremental (issue 14: rebuilt in full, this was the slowest node of the nightly build, 7-17 s at
    1 M dossiers and 238-371 s at 10 M). A run merges, on dossier_code, the dossiers whose
    int_dossiers_classified row was (re-)derived after the newest classified_derived_at stored here
    (its derived_at index; the watermark is read before the query is planned, as a literal). The
    table stays complete between builds although publication moves it out of marts_build: publishing
    keeps the table it replaces in marts_previous and the next build starts from it
    (ioc_pipeline/warehouse/publish.py, "Incremental marts"), so a night merges the dossiers derived
    since the build before last. Every column is a function of the dossier's int_dossiers_classified
    row, of the seed code_labels and of this file: logic_hash (the same on every row) is the md5 of the
    labels used and of this file's checksum, and a run whose logic_hash differs from the stored one
    takes every dossier (so a table kept from before a change to the labels or to this file is
    re-derived in full, not patched; a change of columns is caught before: reuse_previous_marts drops
    a kept table whose columns are not the contract's, and the build starts afresh).
-#}
{{
    config(
        materialized='incremental',
        unique_key='dossier_code',
        incremental_strategy='merge_or_delete_insert',
        on_schema_change='fail',
        indexes=[
            {'columns': ['classified_derived_at']},
        ],
    )
}}
{#- what the label joins below read of the seed code_labels, and this file's checksum, as one md5 -#}
{%- set logic_hash_sql -%}
    select md5(
        '{{ model.checksum.checksum if execute else '' }};'
        || string_agg(concat_ws('|', code_set, code, label), ';' order by code_set, code)
    ) as logic_hash
    from {{ ref('code_labels') }}
    where code_set in ('dossier_status', 'channel', 'timeliness')
{%- endset -%}
{%- set take_all = true -%}
{%- if is_incremental() and execute %}
{%- set stored_query -%}
    select
        (select coalesce(max(classified_derived_at), '-infinity'::timestamptz)::text from {{ this }}),
        (select logic_hash from {{ this }} limit 1) is not distinct from ({{ logic_hash_sql }})
{%- endset -%}
{%- set stored = run_query(stored_query).rows[0] -%}
{%- set watermark = stored[0] -%}
{%- set take_all = not stored[1] -%}
{%- endif %}

with

logic_hash as (

    {{ logic_hash_sql }}

),

dossiers as (

    select * from {{ ref('int_dossiers_classified') }}
    {%- if is_incremental() and not take_all %}
    -- a new dossier or a re-derived one (int_dossiers_classified's derived_at index)
    where derived_at > '{{ watermark }}'::timestamptz
    {%- endif %}

),

final as (

    select
        -- ids
        dossier_code,
        procedure_code,
        agency_code,

        -- channel
        channel,
        is_online,
        is_online_remote,
        applicant_type,
        applicant_key,

        -- timestamps
        submitted_at,
        accepted_at,
        due_at,
        finished_at,
        returned_at,

        -- status and outcome
        status_code,
        timeliness,
        paid_online,
        has_fee,
        supplement_count,
        has_e_result,
        updated_at,

        -- extras (not in the contract's minimum)
        is_accepted,
        is_finished,
        due_at_original,
        agency_version_key,
        agency_level,
        agency_version_match,
        agency_version_missing,
        due_deadline_at,
        channel_code,
        submit_place_code,
        versions_received,
        received_at as last_received_at,

        -- lineage: the raw version this row was built from (raw.one_stop_shop__dossier, whose
        -- batch is audit.load_batch), so a KPI traces back to what was received
        batch_id as source_batch_id,
        record_hash as source_record_hash,

        -- readable labels beside the codes (seed code_labels)
        status_labels.label as status_label,
        channel_labels.label as channel_label,
        timeliness_labels.label as timeliness_label,

        -- what this row was built from, for the incremental runs (see the top)
        dossiers.derived_at as classified_derived_at,
        logic_hash.logic_hash

    from dossiers
    cross join logic_hash
    left join {{ ref('code_labels') }} as status_labels
        on status_labels.code_set = 'dossier_status'
        and status_labels.code = dossiers.status_code::text
    left join {{ ref('code_labels') }} as channel_labels
        on channel_labels.code_set = 'channel'
        and channel_labels.code = dossiers.channel
    left join {{ ref('code_labels') }} as timeliness_labels
        on timeliness_labels.code_set = 'timeliness'
        and timeliness_labels.code = dossiers.timeliness

)

select * from final
