{#-
    Fails with every value that is not an operator of the seed `operators`: by default one that
    sends workbooks (viettel, vnpt); with include_all_operators, also the `all` row of the KPIs.
    Usage: - known_operator                                  (a workbook's operator)
           - known_operator: {arguments: {include_all_operators: true}}   (a KPI row)
-#}
{% test known_operator(model, column_name, include_all_operators=false) %}

select {{ column_name }} as operator
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (
        select operator
        from {{ ref('operators') }}
        {%- if not include_all_operators %}
        where not is_all_operators
        {%- endif %}
    )

{% endtest %}
