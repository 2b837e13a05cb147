{#-
    Fails with one row per combination of the given columns that occurs more than once
    (a composite-key uniqueness test; this project uses no packages, so no dbt_utils).
    Usage (dbt 1.10+ YAML):
        data_tests:
          - unique_combination_of_columns:
              arguments:
                combination_of_columns: [month, scope, scope_code]
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
