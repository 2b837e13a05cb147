{#-
    One row per dossier, current state (its latest received version). Definitions: marts.md; every
    flag and label is decided in int_dossiers_classified, this mart publishes them.
-#}
with

dossiers as (

    select * from {{ ref('int_dossiers_classified') }}

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
        timeliness_labels.label as timeliness_label

    from dossiers
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
