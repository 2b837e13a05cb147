{#-
    A folder's custom schema (staging, intermediate, marts) is used verbatim, not prefixed with the
    target schema: the grants in bootstrap.sql and the readers (BI tool, auditors) expect exactly
    these names. Nodes without a custom schema go to the target's schema.

    The marts' folder schema `marts` is where the var `marts_schema` says (default `marts`): the build
    DAG builds them in `marts_build`, and ioc_pipeline/warehouse/publish.py moves the complete, checked
    set into `marts` in one transaction (docs/contracts/marts.md "Publication of the marts").
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema', 'marts') | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
