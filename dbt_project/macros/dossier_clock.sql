{#-
    The dossier clock's two settings and edge rules, written once (docs/contracts/marts.md "waiting", "late";
    the choices "Status 6 waits" and "A due time of 00:00:00").
-#}

{#-
    True when a TrangThaiHoSo code stops the clock ("waiting" for the applicant): 5 (supplement
    requested) always; 6 (payment requested) when var status_6_pauses_clock is true (the default,
    docs/contracts/marts.md "waiting" = 5 or 6; docs/domain.md §8.9). False for null.
-#}
{% macro is_waiting_status(status_expr) -%}
    {%- if var('status_6_pauses_clock', true) | string | lower in ('true', '1', 'yes') -%}
        coalesce(({{ status_expr }}) in (5, 6), false)
    {%- else -%}
        coalesce(({{ status_expr }}) = 5, false)
    {%- endif -%}
{%- endmacro %}

{#-
    The last instant a dossier due at `due_expr` (timestamptz) can finish and still be on time.
    A due time of exactly 00:00:00 in Vietnam is read as "by the end of that day": the deadline is
    the next day's 00:00 exclusive, written as that instant minus 1 microsecond (PostgreSQL's
    resolution), so "late = finish > deadline" stays one comparison and a finish at 23:59:59.999999
    is on time, one at 00:00:00 the next day late. Any other due time is the deadline as sent.
    The due day D (early, overdue, working days remaining) is the Vietnam day of due_expr in both
    cases, so all three already treat such a dossier as due at the end of D.
-#}
{% macro due_deadline(due_expr) -%}
    case
        when (({{ due_expr }}) at time zone {{ vn_timezone() }})::time = time '00:00:00'
            then {{ vn_day_start(vn_day(due_expr) ~ ' + 1') }} - interval '1 microsecond'
        else ({{ due_expr }})
    end
{%- endmacro %}
