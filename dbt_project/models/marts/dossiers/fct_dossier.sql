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
        received_at as last_received_at

    from dossiers

)

select * from final
