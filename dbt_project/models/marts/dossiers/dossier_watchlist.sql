{#-
    The leaders' watchlist as of day A (var as_of_date, default today in Vietnam; the run command's
    --as-of reaches it through that var): dossiers open on A (accepted on or before A, not
    finished, withdrawn or stopped by the end of A), not waiting for the applicant (status 5/6),
    with a due date, that are
      overdue  - due day D before A, or
      at_risk  - 0 <= working days remaining <= var at_risk_working_days (default 2),
    where working days remaining = working days in (A, D] when D >= A (marts.md).
    Days outside dim_date (2023-2027) have no working-day number: such a dossier can still be
    overdue (a date comparison) but is never at risk, and its working_days_remaining is null.
    Waiting at the end of A: int_dossier_waiting_periods (supplement requests, current status).
-#}
with

accepted as (

    select * from {{ ref('int_dossiers_classified') }}
    where is_accepted

),

waiting_periods as (

    select * from {{ ref('int_dossier_waiting_periods') }}

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

open_on_as_of as (

    select
        as_of.as_of_date,
        accepted.*
    from accepted
    cross join as_of
    where {{ vn_day('accepted.accepted_at') }} <= as_of.as_of_date
        and (accepted.closed_at is null or {{ vn_day('accepted.closed_at') }} > as_of.as_of_date)
        and not exists (
            select 1
            from waiting_periods
            where waiting_periods.dossier_code = accepted.dossier_code
                and waiting_periods.waiting_from < as_of.as_of_end_at
                and (waiting_periods.waiting_until is null or waiting_periods.waiting_until >= as_of.as_of_end_at)
        )
        and accepted.due_at is not null

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
