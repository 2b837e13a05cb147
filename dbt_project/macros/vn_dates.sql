{#-
    Vietnam time and month arithmetic, written once. Every day or month boundary of the project
    goes through these macros; var vn_timezone (dbt_project.yml) is read here and nowhere else.
-#}

{#- The Vietnam time zone as a SQL text literal: var vn_timezone, 'Asia/Ho_Chi_Minh'. -#}
{% macro vn_timezone() -%}
    '{{ var("vn_timezone") }}'
{%- endmacro %}

{#- The calendar day (date) of a timestamptz expression in Vietnam time. -#}
{% macro vn_day(expr) -%}
    (({{ expr }}) at time zone {{ vn_timezone() }})::date
{%- endmacro %}

{#- The first instant (timestamptz) of a Vietnam calendar day given as a date expression. -#}
{% macro vn_day_start(day_expr) -%}
    (({{ day_expr }})::timestamp at time zone {{ vn_timezone() }})
{%- endmacro %}

{#-
    The month arithmetic: the first day (date) of the month of a date expression, shifted by
    `months` months (0 = that month, 1 = the next one, -1 = the previous one). A month's end, as an
    instant, is the start of the next month's first day: vn_day_start(month_start(m, 1)).
    The argument is a date (or a timestamp without time zone): it is truncated as a wall-clock
    value, never in the session's time zone.
-#}
{% macro month_start(day_expr, months=0) -%}
    {%- if months == 0 -%}
        date_trunc('month', ({{ day_expr }})::timestamp)::date
    {%- else -%}
        (date_trunc('month', ({{ day_expr }})::timestamp) + interval '{{ months | int }} month')::date
    {%- endif -%}
{%- endmacro %}

{#- The first day (date) of the Vietnam-time month of a timestamptz expression. -#}
{% macro vn_month(expr) -%}
    {{ month_start(vn_day(expr)) }}
{%- endmacro %}

{#-
    Every month from the month of first_month_expr to the month of last_month_expr (dates, first
    days of months), as a set-returning expression of timestamps for a FROM clause:
        cross join lateral {{ month_series('bounds.first_month', 'bounds.last_month') }} as month_start
    (cast each to ::date). Wall-clock timestamps, so the series does not depend on the session.
-#}
{% macro month_series(first_month_expr, last_month_expr) -%}
    generate_series(
        ({{ first_month_expr }})::timestamp, ({{ last_month_expr }})::timestamp, interval '1 month'
    )
{%- endmacro %}

{#- The as-of day: setting as_of_date when set (YYYY-MM-DD; macros/build_settings.sql), else today in -#}
{#- Vietnam time. -#}
{% macro as_of_date() -%}
    {%- set as_of = build_setting('as_of_date') -%}
    {%- if as_of is not none -%}
        '{{ as_of }}'::date
    {%- else -%}
        {{ vn_day('now()') }}
    {%- endif -%}
{%- endmacro %}
