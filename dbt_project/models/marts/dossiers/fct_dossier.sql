{#-
    One row per dossier, current state (its latest received version). Definitions: marts.md.
-#}
with

dossiers as (

    select * from {{ ref('int_dossiers_current') }}

),

agency_versions as (

    select * from {{ ref('int_agency_versions') }}

),

classified as (

    select
        *,
        -- accepted: NgayTiepNhan set and TrangThaiHoSo not 1 (submitted) or 3 (refused at intake)
        accepted_at is not null and coalesce(status_code not in (1, 3), true) as is_accepted,
        -- finished: TrangThaiHoSo 9 (processing finished) or 10 (result returned)
        coalesce(status_code in (9, 10), false) as is_finished
    from dossiers

),

with_reference_day as (

    select
        *,
        -- the day whose agency version applies: acceptance, else submission
        {{ vn_day('case when is_accepted then accepted_at else coalesce(submitted_at, accepted_at) end') }}
            as agency_reference_day
    from classified

),

agency_candidates as (

    select
        with_reference_day.dossier_code,
        agency_versions.agency_version_key,
        agency_versions.level,
        agency_versions.valid_from,
        -- days between the reference day and the version's validity (0 = in force that day)
        case
            when with_reference_day.agency_reference_day < agency_versions.valid_from
                then agency_versions.valid_from - with_reference_day.agency_reference_day
            when agency_versions.in_force_until is not null
                and with_reference_day.agency_reference_day >= agency_versions.in_force_until
                then with_reference_day.agency_reference_day - agency_versions.in_force_until + 1
            else 0
        end as days_off
    from with_reference_day
    inner join agency_versions
        on with_reference_day.agency_code = agency_versions.agency_code
    where with_reference_day.agency_reference_day is not null

),

agency_matched as (

    -- the version in force on the reference day; when none is (the day lies outside every
    -- version of the agency), the nearest version, flagged 'nearest'
    select distinct on (dossier_code)
        dossier_code,
        agency_version_key,
        level as agency_level,
        case when days_off = 0 then 'in_force' else 'nearest' end as agency_version_match
    from agency_candidates
    order by dossier_code, days_off, valid_from desc

),

final as (

    select
        -- ids
        with_reference_day.dossier_code,
        with_reference_day.procedure_code,
        with_reference_day.agency_code,

        -- channel: KenhThucHien 1 or null = counter, 2 = online, 3 = public post
        case
            when with_reference_day.channel_code is null or with_reference_day.channel_code = 1 then 'counter'
            when with_reference_day.channel_code = 2 then 'online'
            when with_reference_day.channel_code = 3 then 'post'
        end as channel,
        coalesce(with_reference_day.channel_code = 2, false) as is_online,
        -- online remote: online and NoiNopHoSo 1 or null (keyed in by the applicant)
        coalesce(
            with_reference_day.channel_code = 2
            and coalesce(with_reference_day.submit_place_code, 1) = 1,
            false
        ) as is_online_remote,
        with_reference_day.applicant_type,
        with_reference_day.applicant_key,

        -- timestamps
        with_reference_day.submitted_at,
        with_reference_day.accepted_at,
        with_reference_day.due_at,
        with_reference_day.finished_at,
        with_reference_day.returned_at,

        -- status and outcome
        with_reference_day.status_code,
        case
            when not with_reference_day.is_finished
                or with_reference_day.finished_at is null
                or with_reference_day.due_at is null
                then null
            when {{ vn_day('with_reference_day.finished_at') }} < {{ vn_day('with_reference_day.due_at') }}
                then 'early'
            when with_reference_day.finished_at > with_reference_day.due_at
                then 'late'
            else 'on_time'
        end as timeliness,
        coalesce(with_reference_day.paid_online_code in (1, 2), false) as paid_online,
        with_reference_day.has_fee,
        with_reference_day.supplement_count,
        with_reference_day.has_e_result,
        with_reference_day.updated_at,

        -- extras (not in the contract's minimum)
        with_reference_day.is_accepted,
        with_reference_day.is_finished,
        with_reference_day.due_at_original,
        agency_matched.agency_version_key,
        agency_matched.agency_level,
        agency_matched.agency_version_match,
        with_reference_day.channel_code,
        with_reference_day.submit_place_code,
        with_reference_day.versions_received,
        with_reference_day.received_at as last_received_at

    from with_reference_day
    left join agency_matched
        on with_reference_day.dossier_code = agency_matched.dossier_code

)

select * from final
