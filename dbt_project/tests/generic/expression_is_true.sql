{#-
    Fails with every row for which the boolean SQL expression is not true (false or null).
    Usage: - expression_is_true: {arguments: {expression: "online_rate between 0 and 1"}}
    Restrict rows with config.where, as for any data test. Usable on a model or a column
    (column_name is accepted and ignored: the expression names its columns).
-#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
