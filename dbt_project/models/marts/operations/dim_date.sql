{#-
    One row per day of the public-sector working calendar (docs/contracts/marts.md "working day"), from var
    calendar_start_date to var calendar_end_date (default 2023-01-01 .. 2027-12-31, the years the
    generated seed public_holidays covers).

    is_working_day: the override of the day (seed calendar_overrides) when there is one; else
    Monday-Friday and not a public holiday (seed public_holidays). The same rule as
    ioc_pipeline.workcalendar, from the same two tables.

    working_day_number: working days from the first day of the calendar up to and including this
    day, so "working days in (a, b]" is number(b) - number(a) (macro working_days_between).
-#}
with

days as (

    select day::date as date
    from generate_series(
        '{{ var("calendar_start_date", "2023-01-01") }}'::timestamp,
        '{{ var("calendar_end_date", "2027-12-31") }}'::timestamp,
        interval '1 day'
    ) as day

),

public_holidays as (

    select * from {{ ref('public_holidays') }}

),

calendar_overrides as (

    select * from {{ ref('calendar_overrides') }}

),

flagged as (

    select
        days.date,
        extract(isodow from days.date)::integer as iso_day_of_week,
        public_holidays.holiday_name,
        calendar_overrides.is_working_day as override_is_working_day,
        calendar_overrides.reason as override_reason,
        nullif(btrim(calendar_overrides.legal_doc), '') as override_legal_doc
    from days
    left join public_holidays
        on days.date = public_holidays.date
    left join calendar_overrides
        on days.date = calendar_overrides.date

),

classified as (

    select
        *,
        coalesce(
            override_is_working_day,
            iso_day_of_week <= 5 and holiday_name is null
        ) as is_working_day
    from flagged

),

final as (

    select
        date,
        is_working_day,
        -- a swapped day off the library does not know is named after its override
        coalesce(
            holiday_name,
            case when not is_working_day and iso_day_of_week <= 5 then override_reason end
        ) as holiday_name,
        extract(year from date)::integer as year,
        {{ month_start('date') }} as month,
        extract(month from date)::integer as month_of_year,
        iso_day_of_week,
        iso_day_of_week >= 6 as is_weekend,
        holiday_name is not null as is_public_holiday,
        override_is_working_day is not null as is_overridden,
        override_reason,
        override_legal_doc,
        sum(case when is_working_day then 1 else 0 end) over (
            order by date rows between unbounded preceding and current row
        )::integer as working_day_number
    from classified

)

select * from final
