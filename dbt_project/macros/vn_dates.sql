{#- The calendar day (date) of a timestamptz expression in Vietnam time. -#}
{% macro vn_day(expr) -%}
    (({{ expr }}) at time zone '{{ var("vn_timezone", "Asia/Ho_Chi_Minh") }}')::date
{%- endmacro %}

{#- The first day (date) of the Vietnam-time month of a timestamptz expression. -#}
{% macro vn_month(expr) -%}
    date_trunc('month', ({{ expr }}) at time zone '{{ var("vn_timezone", "Asia/Ho_Chi_Minh") }}')::date
{%- endmacro %}

{#- The as-of day: var as_of_date when set (YYYY-MM-DD), else today in Vietnam time. -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
        '{{ var("as_of_date") }}'::date
    {%- else -%}
        {{ vn_day('now()') }}
    {%- endif -%}
{%- endmacro %}
