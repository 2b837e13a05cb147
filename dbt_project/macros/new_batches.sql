{#-
    Batch-scoped data tests (issue 14). The nightly build tests only the raw rows of the load batches
    received since the last published build: var test_since_batch is that build's batch watermark (every
    batch with a batch_id at or below it was tested by a build that passed). The build DAG computes it
    (ioc_pipeline/warehouse/test_watermark.py); null (the default, a hand-run or full build, or any
    `--vars '{test_since_batch: null}'`) tests every row.

    A data test opts in with `where: "__new_batches__"` (the one-stop-shop dossier source and staging
    tests do, in dbt_project.yml) or by calling new_batches_predicate() (assert_source_dates_parse).
-#}

{% macro test_since_batch() -%}
    {%- set value = var('test_since_batch', none) -%}
    {%- if value is none or (value | string | trim | lower) in ('', 'none', 'null') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if not text.isdigit() -%}
        {{ exceptions.raise_compiler_error("var test_since_batch must be a batch_id (an integer) or null, not " ~ text) }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}


{% macro new_batches_predicate(batch_column='batch_id') -%}
    {%- set since = test_since_batch() -%}
    {%- if since is none -%}
        true
    {%- else -%}
        {{ batch_column }} > {{ since }}
    {%- endif -%}
{%- endmacro %}


{#- dbt's get_where_subquery (a data test's `where` config), with the placeholder __new_batches__ -#}
{#- replaced by new_batches_predicate() when the test runs. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- if '__new_batches__' in where -%}
            {%- set where = where | replace('__new_batches__', new_batches_predicate()) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
