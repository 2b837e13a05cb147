{#-
    The leaders' watchlist as of day A (var as_of_date, default today in Vietnam; the run command's
    --as-of reaches it through that var): dossiers open on A (accepted on or before A, not
    finished, withdrawn or stopped by the end of A), not waiting for the applicant (status 5/6),
    with a due date, that are
      overdue  - due day D before A, or
      at_risk  - 0 <= working days remaining <= var at_risk_working_days (default 2),
    where working days remaining = working days in (A, D] when D >= A (docs/contracts/marts.md).
    Days outside dim_date (2023-2027) have no working-day number: such a dossier can still be
    overdue (a date comparison) but is never at risk, and its working_days_remaining is null.
    The state is the one in force at the end of A (int_dossier_status_history: the last received
    version whose NgayCapNhat is before the next day's 00:00; before the first received version,
    that version's dates and no waiting status): its status (waiting = 5, or 6 while var
    status_6_pauses_clock), acceptance, closure and effective due date. A version received after A
    does not change the watchlist of A. Agency and procedure are the dossier's current ones.

    Cost (issue 14): of the 3-5 versions per dossier in the history, the ones that matter are in force
    at the end of A AND not closed by then - about the dossiers open on A, a few percent of all. They
    are read through the history's (closed_at, valid_to) index, in three disjoint branches it can
    answer (open version still current; open version superseded after A; version closed after A), with
    the end of A as a constant expression. This used to read every accepted version and every dossier:
    8-9 s at 1 M dossiers and 76-128 s at 10 M (BENCHMARKS.md).
-#}
{%- set as_of_end_at = vn_day_start(as_of_date() ~ ' + 1') -%}
with

dossiers as (

    select * from {{ ref('int_dossiers_classified') }}

),

-- read three times below, each through the index: not materialized
history as not materialized (

    select * from {{ ref('int_dossier_status_history') }}
    where is_accepted

),

agencies as (

    select * from {{ ref('dim_agency') }}

),

procedures as (

    select * from {{ ref('dim_procedure') }}

),

as_of as (

    select
        {{ as_of_date() }} as as_of_date,
        -- the end of day A: the first moment of the next day in Vietnam
        {{ vn_day_start(as_of_date() ~ ' + 1') }} as as_of_end_at

),

in_force as (

    -- the version in force at the end of A (valid_from before it, valid_to null or at or after it)
    -- that is not closed by then (closed_at null or at or after it: the condition of open_on_as_of),
    -- in three disjoint branches by closed_at and valid_to
    select history.*
    from history
    where history.closed_at is null
        and history.valid_to is null
        and (history.valid_from is null or history.valid_from < {{ as_of_end_at }})

    union all

    select history.*
    from history
    where history.closed_at is null
        and history.valid_to >= {{ as_of_end_at }}
        and (history.valid_from is null or history.valid_from < {{ as_of_end_at }})

    union all

    select history.*
    from history
    where history.closed_at >= {{ as_of_end_at }}
        and (history.valid_to is null or history.valid_to >= {{ as_of_end_at }})
        and (history.valid_from is null or history.valid_from < {{ as_of_end_at }})

),

open_on_as_of as (

    select
        as_of.as_of_date,
        in_force.dossier_code,
        dossiers.agency_code,
        dossiers.procedure_code,
        dossiers.agency_level,
        dossiers.agency_version_key,
        in_force.status_code,
        in_force.accepted_at,
        in_force.due_at,
        in_force.due_day
    from in_force
    cross join as_of
    inner join dossiers
        on in_force.dossier_code = dossiers.dossier_code
    where {{ vn_day('in_force.accepted_at') }} <= as_of.as_of_date
        and (in_force.closed_at is null or {{ vn_day('in_force.closed_at') }} > as_of.as_of_date)
        and not in_force.is_waiting
        and in_force.due_at is not null

),

measured as (

    select
        *,
        {{ working_days_remaining('as_of_date', 'due_day') }} as working_days_remaining
    from open_on_as_of

),

classified as (

    select
        *,
        case
            when due_day < as_of_date then 'overdue'
            when working_days_remaining between 0 and {{ var('at_risk_working_days', 2) | int }}
                then 'at_risk'
        end as risk
    from measured

),

final as (

    select
        classified.as_of_date,
        classified.dossier_code,
        classified.agency_code,
        agencies.agency_name,
        classified.procedure_code,
        procedures.procedure_name,
        classified.accepted_at,
        classified.due_at,
        classified.working_days_remaining,
        classified.risk,
        -- extras
        classified.due_day,
        greatest(classified.as_of_date - classified.due_day, 0) as calendar_days_past_due,
        classified.status_code,
        classified.agency_level,
        classified.agency_version_key,
        -- readable labels beside the codes (seed code_labels)
        risk_labels.label as risk_label,
        level_labels.label as level_label,
        status_labels.label as status_label
    from classified
    left join agencies
        on classified.agency_version_key = agencies.agency_version_key
    left join procedures
        on classified.procedure_code = procedures.procedure_code
    left join {{ ref('code_labels') }} as risk_labels
        on risk_labels.code_set = 'watchlist_risk'
        and risk_labels.code = classified.risk
    left join {{ ref('code_labels') }} as level_labels
        on level_labels.code_set = 'agency_level'
        and level_labels.code = classified.agency_level
    left join {{ ref('code_labels') }} as status_labels
        on status_labels.code_set = 'dossier_status'
        and status_labels.code = classified.status_code::text
    where classified.risk is not null

)

select * from final
