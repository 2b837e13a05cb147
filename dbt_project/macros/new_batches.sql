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
    {%- set text = build_setting('test_since_batch') -%}
    {%- if text is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not text.isdigit() -%}
        {{ exceptions.raise_compiler_error("test_since_batch (var or IOC_BUILD_TEST_SINCE_BATCH) must be a batch_id (an integer) or null, not " ~ text) }}
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


{#-
    Derived-row scoped data tests (issue 14, third round). The column tests of the 1 M-row
    int_dossiers_classified look only at the rows (re-)derived since the last PUBLISHED build started: var
    test_since_derived_at is that start (an ISO timestamp; ioc_pipeline/warehouse/dbt_test_watermark.py),
    and each row's derived_at is now() of the run that last wrote it. Every row derived before it was
    tested by a published build and is unchanged since (a rewrite sets a new derived_at). Null (default:
    a hand-run or full build, `--vars '{test_since_derived_at: null}'`) tests every row.
    A data test opts in with `where: "__new_derivations__"` (in the models' YAML, which says why the
    test is sound when scoped).
-#}
{% macro test_since_derived_at() -%}
    {%- set text = build_setting('test_since_derived_at') -%}
    {%- if text is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([+-][0-9]{2}(:?[0-9]{2})?|Z)', text) -%}
        {{ exceptions.raise_compiler_error("test_since_derived_at (var or IOC_BUILD_TEST_SINCE_DERIVED_AT) must be an ISO timestamp with its time zone or null, not " ~ text) }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}


{% macro new_derivations_predicate(derived_column='derived_at') -%}
    {%- set since = test_since_derived_at() -%}
    {%- if since is none -%}
        true
    {%- else -%}
        {{ derived_column }} >= '{{ since }}'::timestamptz
    {%- endif -%}
{%- endmacro %}


{#-
    The same scope for a table that is a projection of int_dossiers_classified keyed by dossier_code
    (fct_dossier: its classified_derived_at says when its row's values were derived, but the rows merged
    from a table kept by publication can be older than the last published build, and the test scope is
    the dossiers derived since then): the rows of
    the dossiers whose int_dossiers_classified row was derived since then (read through that table's
    derived_at index; the mart's primary key finds the rows). Placeholder __new_derived_dossiers__.
-#}
{% macro new_derived_dossiers_predicate(key_column='dossier_code') -%}
    {%- set since = test_since_derived_at() -%}
    {%- if since is none -%}
        true
    {%- else -%}
        {%- set classified = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
                             | selectattr('name', 'equalto', 'int_dossiers_classified') | list -%}
        {%- if classified | length != 1 -%}
            {{ exceptions.raise_compiler_error("new_derived_dossiers_predicate: model int_dossiers_classified not found") }}
        {%- endif -%}
        {{ key_column }} in (
            select derived.dossier_code from {{ classified[0].relation_name }} as derived
            where {{ new_derivations_predicate('derived.derived_at') }}
        )
    {%- endif -%}
{%- endmacro %}


{#- dbt's get_where_subquery (a data test's `where` config), with the placeholders replaced when the test -#}
{#- runs: __new_batches__ by new_batches_predicate(), __new_derivations__ by new_derivations_predicate(), -#}
{#- __new_current_derivations__ by new_derivations_predicate('current_derived_at') (int_dossier_status_history, -#}
{#- whose rows carry the int_dossiers_current.derived_at they were derived from), __new_derived_dossiers__ -#}
{#- by new_derived_dossiers_predicate(). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- if '__new_batches__' in where -%}
            {%- set where = where | replace('__new_batches__', new_batches_predicate()) -%}
        {%- endif -%}
        {%- if '__new_current_derivations__' in where -%}
            {%- set where = where | replace('__new_current_derivations__', new_derivations_predicate('current_derived_at')) -%}
        {%- endif -%}
        {%- if '__new_derivations__' in where -%}
            {%- set where = where | replace('__new_derivations__', new_derivations_predicate()) -%}
        {%- endif -%}
        {%- if '__new_derived_dossiers__' in where -%}
            {%- set where = where | replace('__new_derived_dossiers__', new_derived_dossiers_predicate()) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
