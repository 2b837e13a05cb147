{#-
    Custom incremental strategy `merge_or_delete_insert` (config incremental_strategy=
    'merge_or_delete_insert'): MERGE on PostgreSQL 15 and later, where dbt-postgres supports it,
    else delete+insert. The server version is read when the model runs (a model's config is fixed
    at parse time, without a connection).
-#}
{% macro get_incremental_merge_or_delete_insert_sql(arg_dict) %}
    {%- if server_supports_merge() -%}
        {% do return(get_incremental_merge_sql(arg_dict)) %}
    {%- else -%}
        {% do return(get_incremental_delete_insert_sql(arg_dict)) %}
    {%- endif -%}
{% endmacro %}

{#- True when the warehouse server has MERGE (PostgreSQL 15+, server_version_num >= 150000). -#}
{% macro server_supports_merge() %}
    {%- if not execute -%}
        {% do return(true) %}
    {%- endif -%}
    {%- set version_num = run_query("select current_setting('server_version_num')::integer").columns[0].values()[0] -%}
    {% do return(version_num >= 150000) %}
{% endmacro %}
