{#-
    The scopes of the dossier KPIs (docs/contracts/marts.md): each row of `relation` once per scope it counts in,
      province  every agency together (scope_code 'province')
      level     agencies grouped by the level (TINH/HUYEN/XA) of the agency version in force on
                the acceptance day (agency_level); a row without a level is in no level
      agency    one agency (agency_code)
    as columns scope, scope_code and then `columns`. Every month x scope mart fans out through this
    macro, so that the scopes are defined once:
        scoped as ({{ dossier_kpi_scopes('events', ['month', 'is_open']) }})
        scopes as (select distinct scope, scope_code from ({{ dossier_kpi_scopes('accepted') }}) as s)
-#}
{% macro dossier_kpi_scopes(relation, columns=[]) -%}
    {%- for scope, scope_code, condition in [
        ('province', "'province'", none),
        ('level', 'agency_level', 'agency_level is not null'),
        ('agency', 'agency_code', none),
    ] %}
    {% if not loop.first %}union all{% endif %}
    select
        '{{ scope }}'::text as scope,
        ({{ scope_code }})::text as scope_code
        {%- for column in columns %},
        {{ column }}
        {%- endfor %}
    from {{ relation }}
    {%- if condition %}
    where {{ condition }}
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
