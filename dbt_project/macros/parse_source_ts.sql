{#-
    parse_source_ts(expr): a source date string -> timestamptz.

    The one-stop-shop sends Vietnam local times as text in one of two formats:
      yyyyMMddHHmmss       e.g. 20240715081500
      dd/MM/yyyy HH:mm:ss  e.g. 15/07/2024 08:15:00   (day and month may have one digit)
    Null, empty or any other text gives null (the loader has already rejected unreadable dates;
    the singular test assert_source_dates_parse reports any that slip through).

    Independent of the session TimeZone and DateStyle: the wall-clock time is built as a
    `timestamp without time zone` from to_date(text, format) + time (both session independent),
    then placed in Vietnam time with `at time zone`. (to_timestamp(text, format) would instead
    read the text in the session's time zone.)
-#}
{% macro parse_source_ts(expr) -%}
    {%- set value = "btrim(" ~ expr ~ ")" -%}
    (case
        when {{ value }} ~ '^[0-9]{14}$'
            then (
                to_date(substr({{ value }}, 1, 8), 'YYYYMMDD')
                + make_time(
                    substr({{ value }}, 9, 2)::integer,
                    substr({{ value }}, 11, 2)::integer,
                    substr({{ value }}, 13, 2)::double precision
                )
            ) at time zone {{ vn_timezone() }}
        when {{ value }} ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} +[0-9]{1,2}:[0-9]{2}:[0-9]{2}$'
            then (
                to_date(split_part({{ value }}, ' ', 1), 'DD/MM/YYYY')
                + ltrim(substr({{ value }}, strpos({{ value }}, ' ')))::time
            ) at time zone {{ vn_timezone() }}
    end)
{%- endmacro %}
