{#-
    Timeliness of dossier handling per month (Vietnam time) and scope: province (every agency),
    level (TINH/HUYEN/XA of the agency version in force on the acceptance day) and agency.

    Every count is of accepted dossiers WITH a due date (docs/contracts/marts.md: "counting only dossiers with a
    due date"), so that on_time_rate can be recomputed from the row:
      finished*            finished in the month (NgayKetThucXuLy's month), by timeliness class;
                           finished = finished_early + finished_on_time + finished_late
      open_at_month_end    accepted before the month's end (the first moment of the next month)
                           and not finished, withdrawn or stopped by then (closed_at of
                           int_dossiers_classified)
      overdue_at_month_end of those, not waiting for the applicant and due before the month's end
                           (as of day A = the 1st of the next month, due day D < A)
      on_time_rate         = (finished_early + finished_on_time + open_at_month_end
                              - overdue_at_month_end) / (finished + open_at_month_end)
    A waiting dossier past its due date is open but not overdue (the clock is paused), so it counts
    as in time. Dossiers without a due date are counted apart (extras).

    open/overdue/waiting at a month's end T use the dossier's state IN FORCE at T, not today's:
    int_dossier_status_history, the last received version whose NgayCapNhat is before T (before
    the first received version: that version's dates, no waiting status). Its acceptance, closure,
    status (waiting = 5, or 6 while var status_6_pauses_clock) and effective due date decide.
    Each version is expanded into the month ends it is in force and open at (a generate_series per
    version, a handful of months each), not a months x dossiers comparison. The agency and level
    are the dossier's current ones (int_dossiers_classified); the finished counts are the current
    version's NgayKetThucXuLy.

    Rows: a dense month x scope grid, every month from the first month with an accepted dossier to
    the last month with an acceptance or a closure, for every scope with an accepted dossier.
-#}
with

dossiers as (

    select * from {{ ref('int_dossiers_classified') }}

),

accepted as (

    select * from dossiers
    where is_accepted

),

history as (

    select * from {{ ref('int_dossier_status_history') }}
    where is_accepted

),

bounds as (

    select
        min({{ vn_month('accepted_at') }}) as first_month,
        greatest(
            max({{ vn_month('accepted_at') }}),
            max({{ vn_month('closed_at') }})
        ) as last_month
    from accepted

),

months as (

    select
        month_start::date as month,
        -- the month's end: the first moment of the next month in Vietnam
        {{ vn_day_start(month_start('month_start', 1)) }} as month_end_at
    from bounds
    cross join lateral {{ month_series('bounds.first_month', 'bounds.last_month') }} as month_start

),

finished_in_month as (

    select
        {{ vn_month('finished_at') }} as month,
        agency_code,
        agency_level,
        has_due_date,
        timeliness,
        false as is_open,
        false as is_overdue,
        false as is_waiting
    from accepted
    where finished_at is not null
        and is_finished

),

open_at_month_end as (

    -- each version x the month ends T (first moment of the next month) at which it is in force
    -- (valid_from < T <= valid_to) and the dossier open (accepted_at < T <= closed_at): month m's
    -- end is after instant x from m = the month of x on, and at or before instant y up to the
    -- month before y's month
    select
        month_start::date as month,
        dossiers.agency_code,
        dossiers.agency_level,
        history.due_at is not null as has_due_date,
        null::text as timeliness,
        true as is_open,
        history.due_day < {{ month_start('month_start', 1) }} as is_past_due,
        history.is_waiting
    from history
    inner join dossiers
        on history.dossier_code = dossiers.dossier_code
    cross join bounds
    cross join lateral {{ month_series(
        "greatest(" ~ vn_month('greatest(history.valid_from, history.accepted_at)') ~ ", bounds.first_month)",
        "least(" ~ month_start(vn_month('history.valid_to'), -1) ~ ", " ~ month_start(vn_month('history.closed_at'), -1) ~ ", bounds.last_month)"
    ) }} as month_start

),

events as (

    select * from finished_in_month
    union all
    select
        month, agency_code, agency_level, has_due_date, timeliness, is_open,
        coalesce(is_past_due and not is_waiting, false) as is_overdue,
        is_waiting
    from open_at_month_end

),

scoped as (

    {{ dossier_kpi_scopes('events', ['month', 'has_due_date', 'timeliness', 'is_open', 'is_overdue', 'is_waiting']) }}

),

counted as (

    select
        month,
        scope,
        scope_code,
        count(*) filter (where has_due_date and timeliness is not null) as finished,
        count(*) filter (where has_due_date and timeliness = 'early') as finished_early,
        count(*) filter (where has_due_date and timeliness = 'on_time') as finished_on_time,
        count(*) filter (where has_due_date and timeliness = 'late') as finished_late,
        count(*) filter (where has_due_date and is_open) as open_at_month_end,
        count(*) filter (where has_due_date and is_open and is_overdue) as overdue_at_month_end,
        count(*) filter (where has_due_date and is_open and is_waiting) as waiting_at_month_end,
        count(*) filter (where not has_due_date and not is_open) as finished_without_due_date,
        count(*) filter (where not has_due_date and is_open) as open_without_due_date
    from scoped
    group by month, scope, scope_code

),

scopes as (

    -- every scope with an accepted dossier
    select distinct scope, scope_code
    from ({{ dossier_kpi_scopes('accepted') }}) as accepted_scopes

),

grid as (

    select
        months.month,
        scopes.scope,
        scopes.scope_code,
        coalesce(counted.finished, 0) as finished,
        coalesce(counted.finished_early, 0) as finished_early,
        coalesce(counted.finished_on_time, 0) as finished_on_time,
        coalesce(counted.finished_late, 0) as finished_late,
        coalesce(counted.open_at_month_end, 0) as open_at_month_end,
        coalesce(counted.overdue_at_month_end, 0) as overdue_at_month_end,
        coalesce(counted.waiting_at_month_end, 0) as waiting_at_month_end,
        coalesce(counted.finished_without_due_date, 0) as finished_without_due_date,
        coalesce(counted.open_without_due_date, 0) as open_without_due_date
    from months
    cross join scopes
    left join counted
        on months.month = counted.month
        and scopes.scope = counted.scope
        and scopes.scope_code = counted.scope_code

),

final as (

    select
        month,
        scope,
        scope_code,
        finished,
        finished_early,
        finished_on_time,
        finished_late,
        open_at_month_end,
        overdue_at_month_end,
        -- unrounded; trim_scale drops the trailing zeros of numeric division
        trim_scale(
            (finished_early + finished_on_time + open_at_month_end - overdue_at_month_end)::numeric
            / nullif(finished + open_at_month_end, 0)
        ) as on_time_rate,
        waiting_at_month_end,
        finished_without_due_date,
        open_without_due_date
    from grid

),

labelled as (

    -- readable names beside the codes, for the BI tool: scope_label, level_label, agency_name
    {{ kpi_scope_labels('final') }}

)

select * from labelled
