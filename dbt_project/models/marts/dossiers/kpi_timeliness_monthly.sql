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
    The agency and level are the dossier's current ones (int_dossiers_classified); the finished
    counts are the current version's NgayKetThucXuLy.

    How (issue 14): int_dossier_month_end_states (incremental, per dossier) holds each dossier's
    current agency, level, acceptance/closure/finish months and timeliness (segment 0) and, per
    version, the range of month ends at which it is in force and the dossier open (segments > 0:
    first_month..last_month, last_month null = open ended), with its waiting status and due month.
    This mart counts those rows per agency x level x flags, clips each range to the grid's bounds,
    expands it into months (overdue at the end of month m: due_month <= m and not waiting), and only
    then fans the counts out into the scopes: it reads a narrow table once and never every
    (dossier, month end) row three times.

    Rows: a dense month x scope grid, every month from the first month with an accepted dossier to
    the last month with an acceptance or a closure, for every scope with an accepted dossier.
-#}
with

dossier_months as (

    -- segment 0 of the accepted dossiers, counted alike: months of acceptance, closure and finish,
    -- agency, level, due date or not, timeliness (a few thousand rows)
    select
        accepted_month,
        closed_month,
        finished_month,
        agency_code,
        agency_level,
        has_due_date,
        timeliness,
        count(*) as dossiers
    from {{ ref('int_dossier_month_end_states') }}
    where segment_number = 0
        and accepted_month is not null
    group by accepted_month, closed_month, finished_month, agency_code, agency_level, has_due_date, timeliness

),

accepted_agencies as (

    select distinct agency_code, agency_level
    from dossier_months

),

bounds as (

    select
        min(accepted_month) as first_month,
        greatest(max(accepted_month), max(closed_month)) as last_month
    from dossier_months

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
        finished_month as month,
        agency_code,
        agency_level,
        has_due_date,
        timeliness,
        false as is_open,
        false as is_overdue,
        false as is_waiting,
        sum(dossiers)::bigint as dossiers
    from dossier_months
    where finished_month is not null
    group by finished_month, agency_code, agency_level, has_due_date, timeliness

),

open_segments as (

    -- the versions' ranges of month ends, counted alike before they are expanded into months
    select
        first_month,
        last_month,
        due_month,
        agency_code,
        agency_level,
        has_due_date,
        is_waiting,
        count(*) as dossiers
    from {{ ref('int_dossier_month_end_states') }}
    where segment_number > 0
    group by first_month, last_month, due_month, agency_code, agency_level, has_due_date, is_waiting

),

open_at_month_end as (

    -- each range clipped to the grid's bounds (an open-ended range runs to its last month), one row
    -- per month end; overdue at the end of month m: due day before the first day of m + 1, i.e.
    -- due_month <= m, and not waiting
    select
        month_start::date as month,
        open_segments.agency_code,
        open_segments.agency_level,
        open_segments.has_due_date,
        null::text as timeliness,
        true as is_open,
        coalesce(open_segments.due_month <= month_start::date and not open_segments.is_waiting, false)
            as is_overdue,
        open_segments.is_waiting,
        sum(open_segments.dossiers)::bigint as dossiers
    from open_segments
    cross join bounds
    cross join lateral {{ month_series(
        "greatest(open_segments.first_month, bounds.first_month)",
        "least(open_segments.last_month, bounds.last_month)"
    ) }} as month_start
    group by 1, 2, 3, 4, 5, 6, 7, 8

),

events as (

    select * from finished_in_month
    union all
    select * from open_at_month_end

),

scoped as (

    {{ dossier_kpi_scopes('events', ['month', 'has_due_date', 'timeliness', 'is_open', 'is_overdue', 'is_waiting', 'dossiers']) }}

),

counted as (

    select
        month,
        scope,
        scope_code,
        coalesce(sum(dossiers) filter (where has_due_date and timeliness is not null), 0)::bigint as finished,
        coalesce(sum(dossiers) filter (where has_due_date and timeliness = 'early'), 0)::bigint as finished_early,
        coalesce(sum(dossiers) filter (where has_due_date and timeliness = 'on_time'), 0)::bigint as finished_on_time,
        coalesce(sum(dossiers) filter (where has_due_date and timeliness = 'late'), 0)::bigint as finished_late,
        coalesce(sum(dossiers) filter (where has_due_date and is_open), 0)::bigint as open_at_month_end,
        coalesce(sum(dossiers) filter (where has_due_date and is_open and is_overdue), 0)::bigint as overdue_at_month_end,
        coalesce(sum(dossiers) filter (where has_due_date and is_open and is_waiting), 0)::bigint as waiting_at_month_end,
        coalesce(sum(dossiers) filter (where not has_due_date and not is_open), 0)::bigint as finished_without_due_date,
        coalesce(sum(dossiers) filter (where not has_due_date and is_open), 0)::bigint as open_without_due_date
    from scoped
    group by month, scope, scope_code

),

scopes as (

    -- every scope with an accepted dossier (the distinct agencies and levels first, then the fan-out)
    select distinct scope, scope_code
    from ({{ dossier_kpi_scopes('accepted_agencies') }}) as accepted_scopes

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
