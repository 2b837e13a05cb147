{#-
    Working-day arithmetic on dim_date (docs/contracts/marts.md "working day", "working days remaining").

    dim_date.working_day_number counts the working days from the calendar's first day up to and
    including each day, so every difference is two index lookups instead of a range scan.
    Days outside dim_date (2023-2027 by default) give null.
-#}

{#- dim_date.working_day_number of a date expression (null outside the calendar). -#}
{% macro working_day_number(day_expr) -%}
    (select dim_date_wdn.working_day_number
     from {{ ref('dim_date') }} as dim_date_wdn
     where dim_date_wdn.date = ({{ day_expr }}))
{%- endmacro %}

{#-
    Signed working days from day a to day b: the number of working days in (a, b] when a <= b;
    minus the number of working days in (b, a] when b < a. Both cases are number(b) - number(a).
-#}
{% macro working_days_between(a_expr, b_expr) -%}
    ({{ working_day_number(b_expr) }} - {{ working_day_number(a_expr) }})
{%- endmacro %}

{#-
    docs/contracts/marts.md "working days remaining" as of day A for due day D: working days in (A, D] when
    D >= A; minus the working days in (D, A] when D < A (0 = due today or due on the last working
    day before a non-working A).
-#}
{% macro working_days_remaining(as_of_day_expr, due_day_expr) -%}
    {{ working_days_between(as_of_day_expr, due_day_expr) }}
{%- endmacro %}
