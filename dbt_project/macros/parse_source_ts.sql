{#-
    parse_source_ts(expr): a source date string -> timestamptz, null when unreadable.

    The grammar is exactly that of the loader's parser, ioc_pipeline/sources/formats.py
    (parse_source_datetime), so that a date the loader accepted is never read otherwise here:
      1. surrounding whitespace is stripped: every character Python's str.strip() strips
         (str.isspace: tab, newline, CR, VT, FF, U+001C-001F, space, U+0085, no-break space,
         U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000);
      2. the rest must be 14 digits (yyyyMMddHHmmss) or `dd/MM/yyyy HH:mm:ss` with exactly two
         digits per field (four for the year) and one space; a digit is any Unicode decimal digit
         (Python's \d and int() accept them: ２, ٣, ...);
      3. the fields must make a real date and time: year 0001-9999, month 01-12, a day that exists
         in that month (29 February in leap years only), hour 00-23, minute and second 00-59.
    Anything else gives null, never an error (the loader quarantines such records; the singular
    test assert_source_dates_parse reports any that slip through). tests/dbt/test_source_dates.py
    feeds the same strings to both parsers and compares.

    Independent of the session TimeZone and DateStyle: the wall-clock value is built as a
    `timestamp without time zone` from ISO 8601 basic text or to_date with an explicit format
    (neither depends on DateStyle), then placed in Vietnam time with `at time zone`.

    How: one regular expression per format validates the value, calendar included; an ASCII value
    (every value in practice) costs those and two casts. Only a value with non-ASCII characters
    goes on to the digit translation (rewritten to the compact form, validated, read as ISO text).
-#}
{% macro parse_source_ts(expr) -%}
    {%- set stripped = "btrim(" ~ expr ~ ", " ~ _source_ts_whitespace() ~ ")" -%}
    {%- set translated = "translate(" ~ stripped ~ ", " ~ _source_ts_unicode_digits('from') ~ ", "
        ~ _source_ts_unicode_digits('to') ~ ")" -%}
    {%- set compact_translated = _source_ts_slashed_to_compact(translated) -%}
    (case
        when {{ stripped }} ~ '{{ _source_ts_valid('compact') }}'
            then (substr({{ stripped }}, 1, 8)::date + substr({{ stripped }}, 9, 6)::time)
                at time zone {{ vn_timezone() }}
        when {{ stripped }} ~ '{{ _source_ts_valid('slashed') }}'
            then (to_date(substr({{ stripped }}, 1, 10), 'DD/MM/YYYY') + substr({{ stripped }}, 12, 8)::time)
                at time zone {{ vn_timezone() }}
        {# digits of other scripts: only a value with non-ASCII characters can have them #}
        when octet_length({{ stripped }}) > char_length({{ stripped }})
            and {{ compact_translated }} ~ '{{ _source_ts_valid('compact') }}'
            then regexp_replace({{ compact_translated }}, '^(.{4})(..)(..)(..)(..)(..)$', '\1-\2-\3 \4:\5:\6')::timestamp
                at time zone {{ vn_timezone() }}
    end)
{%- endmacro %}

{#-
    The regular expression of a valid date and time in one of the two formats (form 'compact' or
    'slashed'): year 0001-9999, month 01-12, a day that exists in that month (29 February only in
    years divisible by 4 but not by 100, or by 400), hour 00-23, minute and second 00-59.
-#}
{% macro _source_ts_valid(form) -%}
    {%- set year = '(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])' -%}
    {%- set by_4 = '(?:0[48]|[2468][048]|[13579][26])' -%}
    {%- set leap_year = '(?:[0-9]{2}' ~ by_4 ~ '|' ~ by_4 ~ '00)' -%}
    {#- days 1-28 of any month, 29-30 of any month but February, 31 of the long months -#}
    {%- set days = [
        ('(?:0[1-9]|1[0-9]|2[0-8])', '(?:0[1-9]|1[0-2])'),
        ('(?:29|30)', '(?:0[13-9]|1[0-2])'),
        ('31', '(?:0[13578]|1[02])'),
    ] -%}
    {%- set hour, minute = '(?:[01][0-9]|2[0-3])', '[0-5][0-9]' -%}
    {%- if form == 'compact' -%}
        {%- set month_day = [] -%}
        {%- for day, month in days -%}{%- do month_day.append(month ~ day) -%}{%- endfor -%}
        ^(?:{{ year }}(?:{{ month_day | join('|') }})|{{ leap_year }}0229){{ hour }}{{ minute }}{{ minute }}$
    {%- else -%}
        {%- set day_month = [] -%}
        {%- for day, month in days -%}{%- do day_month.append(day ~ '/' ~ month) -%}{%- endfor -%}
        ^(?:(?:{{ day_month | join('|') }})/{{ year }}|29/02/{{ leap_year }}) {{ hour }}:{{ minute }}:{{ minute }}$
    {%- endif -%}
{%- endmacro %}

{#- dd/MM/yyyy HH:mm:ss (exactly) rewritten as yyyyMMddHHmmss; any other text unchanged. -#}
{% macro _source_ts_slashed_to_compact(text) -%}
    regexp_replace({{ text }}, '^([0-9]{2})/([0-9]{2})/([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2})$', '\3\2\1\4\5\6')
{%- endmacro %}

{#- A SQL literal (U& escapes) of the characters Python's str.strip() removes (str.isspace). -#}
{% macro _source_ts_whitespace() -%}
    {%- set code_points = [
        '0009', '000A', '000B', '000C', '000D', '001C', '001D', '001E', '001F', '0020', '0085',
        '00A0', '1680', '2000', '2001', '2002', '2003', '2004', '2005', '2006', '2007', '2008',
        '2009', '200A', '2028', '2029', '202F', '205F', '3000',
    ] -%}
    U&'{% for code_point in code_points %}\{{ code_point }}{% endfor %}'
{%- endmacro %}

{#-
    translate() arguments mapping every non-ASCII Unicode decimal digit (category Nd, what Python's
    \d and int() accept; Unicode 14.0, Python 3.11) to its ASCII digit: side 'from' is a SQL
    literal of the digits themselves, side 'to' the ASCII digits in the same order. Each script's digits are
    ten consecutive code points, zero first; the list holds the zeros.
-#}
{% macro _source_ts_unicode_digits(side) -%}
    {%- set zeros = [
        '0660', '06F0', '07C0', '0966', '09E6', '0A66', '0AE6', '0B66', '0BE6', '0C66', '0CE6',
        '0D66', '0DE6', '0E50', '0ED0', '0F20', '1040', '1090', '17E0', '1810', '1946', '19D0',
        '1A80', '1A90', '1B50', '1BB0', '1C40', '1C50', 'A620', 'A8D0', 'A900', 'A9D0', 'A9F0',
        'AA50', 'ABF0', 'FF10', '104A0', '10D30', '11066', '110F0', '11136', '111D0', '112F0',
        '11450', '114D0', '11650', '116C0', '11730', '118E0', '11950', '11C50', '11D50', '11DA0',
        '16A60', '16AC0', '16B50', '1D7CE', '1D7D8', '1D7E2', '1D7EC', '1D7F6', '1E140', '1E2F0',
        '1E950', '1FBF0',
    ] -%}
    {%- if side == 'from' -%}
        '
        {%- for zero in zeros -%}
            {%- for digit in range(10) -%}{{ '%c' | format((zero | int(base=16)) + digit) }}{%- endfor -%}
        {%- endfor -%}
        '
    {%- else -%}
        '{% for zero in zeros %}0123456789{% endfor %}'
    {%- endif -%}
{%- endmacro %}
