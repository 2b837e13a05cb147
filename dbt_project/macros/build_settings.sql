{#-
    The values that change with every build: as_of_date, run_label, test_since_batch and
    test_since_derived_at. Each is read here: a dbt var when one is set, not null (a hand-run
    `--vars '{as_of_date: 2024-12-31}'`), else the environment variable IOC_BUILD_<NAME> (IOC_BUILD_AS_OF_DATE,
    ...: what the build DAG and the benchmarks set), else null. '', 'none' and 'null' are null (an
    Airflow template renders a missing value as 'None').

    Why the environment (issue 14, BENCHMARKS.md "Fifth round"): dbt re-parses the whole project,
    about 4 s of its CPU at 1 M dossiers, whenever the --vars differ from those of the saved parse
    (target/partial_parse.msgpack), and these differ every night. An environment variable read only
    while dbt executes SQL (`execute`) is not part of what partial parsing compares, so a night with new
    values re-uses the last parse. At parse time this returns null: no rendered SQL of the parse is run.
-#}
{% macro build_setting(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('IOC_BUILD_' ~ (name | upper), '') -%}
    {%- endif -%}
    {%- if value is none or (value | string | trim | lower) in ('', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(value | string | trim) }}
{%- endmacro %}
