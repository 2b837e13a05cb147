{#-
    on-run-end hook: one row per executed node (model, seed, test, unit test, ...) into
    audit.dbt_node_run, so that "did last night's build pass?" has an answer in the warehouse
    (auditors read schema audit), with the run it belongs to (setting run_label, macros/build_settings.sql:
    the build DAG sets the run's label, as every node is its own dbt invocation under Cosmos). Idempotent:
    (invocation_id, node_id) is the key and conflicts are ignored.

    A no-op when nothing is executed (dbt parse/compile/ls render hooks with execute = false),
    when results is empty, and (with a log line) when audit.dbt_node_run does not exist yet
    (bootstrap.sql creates it).
-#}
{% macro log_node_results(results) %}
    {%- if execute and results -%}
        {%- set audit_table = adapter.get_relation(
            database=target.database, schema='audit', identifier='dbt_node_run') -%}
        {%- if audit_table is none -%}
            {{ log('log_node_results: audit.dbt_node_run does not exist, node results not recorded', info=true) }}
        {%- else -%}
            {%- set value_rows = [] -%}
            {#- a no-op (an exposure in `dbt build`) executed nothing -#}
            {%- for res in results if res.status != 'no-op' -%}
                {%- set response = res.adapter_response if res.adapter_response is mapping else {} -%}
                {#- a namespace: a plain set inside the loop below would not outlive it -#}
                {%- set node_timing = namespace(finished=none) -%}
                {%- for timing in (res.timing or []) -%}
                    {%- if timing.name == 'execute' and timing.completed_at -%}
                        {%- set node_timing.finished = timing.completed_at -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- do value_rows.append(
                    '(' ~ _audit_literal(invocation_id)
                    ~ ', ' ~ _audit_literal(res.node.unique_id)
                    ~ ', ' ~ _audit_literal(res.node.resource_type)
                    ~ ', ' ~ _audit_literal(res.status)
                    ~ ', ' ~ (res.execution_time if res.execution_time is number else 'null')
                    ~ ', ' ~ (response.get('rows_affected') if response.get('rows_affected') is number else 'null')
                    ~ ', ' ~ _audit_literal(res.message)
                    ~ ', ' ~ _audit_timestamp(node_timing.finished)
                    ~ ', ' ~ _audit_literal(build_setting('run_label'))
                    ~ ')'
                ) -%}
            {%- endfor -%}
            {%- if value_rows -%}
            {%- set insert_sql -%}
                insert into {{ audit_table }}
                    (invocation_id, node_id, resource_type, status, execution_time, rows_affected, message, finished_at,
                     run_label)
                values
                    {{ value_rows | join(',\n                    ') }}
                on conflict do nothing
            {%- endset -%}
            {%- do run_query(insert_sql) -%}
            {%- do adapter.commit() -%}
            {{ log('log_node_results: ' ~ value_rows | length ~ ' node results recorded in audit.dbt_node_run', info=false) }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- A SQL text literal (or null) for any value. -#}
{% macro _audit_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ (value | string) | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}

{#- A timestamptz literal for a Python datetime; dbt's timings are UTC (naive or aware). -#}
{% macro _audit_timestamp(value) -%}
    {%- if value is none -%}
        now()
    {%- elif value.tzinfo is none -%}
        '{{ value.isoformat() }}+00:00'::timestamptz
    {%- else -%}
        '{{ value.isoformat() }}'::timestamptz
    {%- endif -%}
{%- endmacro %}
