{#-
    The readable names of a month x scope KPI row (kpi_online_rate_monthly, kpi_timeliness_monthly),
    added after the row's own columns, codes untouched:
      scope_label   what the row is about, in Vietnamese: 'Toàn tỉnh' (province), the level's label
                    (level), the agency's name (agency)
      level_label   label of the level (seed code_labels, code_set agency_level): of scope_code for a
                    level row, of the agency's version for an agency row; null for the province row
      agency_name   agency rows only: the name of the agency's version in force during the month
                    (the latest such version when it changed within the month); when no version
                    covers the month, the agency's latest version; null for an agency missing from
                    the department list
    Usage, as the model's last step:
        labelled as ({{ kpi_scope_labels('final') }})
        select * from labelled
-#}
{% macro kpi_scope_labels(relation) -%}
    select
        {{ relation }}.*,
        case {{ relation }}.scope
            when 'agency' then agency_version.agency_name
            when 'level' then level_labels.label
            else scope_labels.label
        end as scope_label,
        level_labels.label as level_label,
        agency_version.agency_name
    from {{ relation }}
    left join lateral (
        select agency.agency_name, agency.level
        from {{ ref('dim_agency') }} as agency
        where {{ relation }}.scope = 'agency'
            and agency.agency_code = {{ relation }}.scope_code
        order by
            -- in force during the month: from before the month's end, until after its start
            (agency.valid_from < ({{ relation }}.month + interval '1 month')::date
                and coalesce(agency.in_force_until, 'infinity'::date) > {{ relation }}.month) desc,
            agency.valid_from desc
        limit 1
    ) as agency_version on true
    left join {{ ref('code_labels') }} as level_labels
        on level_labels.code_set = 'agency_level'
        and level_labels.code = case {{ relation }}.scope
            when 'level' then {{ relation }}.scope_code
            when 'agency' then agency_version.level
        end
    left join {{ ref('code_labels') }} as scope_labels
        on scope_labels.code_set = 'kpi_scope'
        and scope_labels.code = {{ relation }}.scope
{%- endmacro %}
