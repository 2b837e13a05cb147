{#-
    A folder's custom schema (staging, intermediate, marts) is used verbatim, not prefixed with the
    target schema: the grants in bootstrap.sql and the readers (BI tool, auditors) expect exactly
    these names. Nodes without a custom schema go to the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
