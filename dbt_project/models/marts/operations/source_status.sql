-- Breakthrough 1 (centralised data): is every source flowing into the IOC, and can its data be trusted?
-- One row per core source system (seed monitored_sources, source_kind 'system') and one per declared
-- sector feed (feeds/*.yml, source_kind 'sector_feed'; see "Sector feeds" below).
with

monitored as (

    select * from {{ ref('monitored_sources') }}

),

batches as (

    select * from {{ ref('stg_pipeline__load_batches') }}

),

validation_runs as (

    select * from {{ ref('stg_pipeline__validation_runs') }}

),

operator_reports as (

    select * from {{ ref('int_operator_reports_current') }}

),

feed_declarations as (

    select * from {{ ref('stg_sector_feeds__declarations') }}

),

last_attempt as (

    select distinct on (source)
        source,
        started_at as last_attempt_at,
        status as last_status
    from batches
    order by source, started_at desc, batch_id desc

),

-- A source's last success is its latest run (run_label) with a successful batch; a run that loads
-- several entities of one source (departments, procedures, ...) counts as one success.
successful_runs as (

    select
        source,
        coalesce(run_label, 'batch-' || batch_id::text) as run_key,
        max(finished_at) as finished_at,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined
    from batches
    where status = 'success'
    group by 1, 2

),

last_success as (

    select distinct on (source)
        source,
        finished_at as last_success_at,
        rows_loaded as rows_loaded_last_success,
        rows_quarantined as rows_quarantined_last_success
    from successful_runs
    order by source, finished_at desc

),

latest_dq as (

    select distinct on (table_checked)
        table_checked,
        dq_status
    from validation_runs
    order by table_checked, run_at desc, validation_run_id desc

),

-- The raw checks that run right after each load (issue 11): per source, the latest run of each of
-- its raw suites, and the worst of those (fail > warn > pass). Built after the loads of the same
-- run, so the status is the current run's, not the previous one's.
latest_raw_checks as (

    select distinct on (source, suite_name)
        source,
        suite_name,
        dq_status
    from validation_runs
    where layer = 'raw'
        and source is not null
    order by source, suite_name, run_at desc, validation_run_id desc

),

raw_dq as (

    select
        source,
        case
            when bool_or(dq_status = 'fail') then 'fail'
            when bool_or(dq_status = 'warn') then 'warn'
            else 'pass'
        end as dq_status
    from latest_raw_checks
    group by source

),

-- "Last month" is the month before the as-of day's month: its workbook was due before the 10th.
last_month_reports as (

    select
        'operator_' || operator as source,
        on_time as latest_report_on_time
    from operator_reports
    where report_month = {{ month_start(as_of_date(), -1) }}

),

final as (

    select
        monitored.source,
        monitored.expected_cadence,
        last_attempt.last_attempt_at,
        last_success.last_success_at,
        last_attempt.last_status,
        last_success.rows_loaded_last_success::bigint as rows_loaded_last_success,
        last_success.rows_quarantined_last_success::bigint as rows_quarantined_last_success,
        coalesce(
            last_success.last_success_at
                >= {{ vn_day_start(as_of_date()) }} - make_interval(hours => monitored.freshness_hours),
            false
        ) as is_fresh,
        -- the source's own raw checks; the mart checkpoint of its dq_table only where none ran yet
        coalesce(raw_dq.dq_status, latest_dq.dq_status) as dq_status,
        case
            when monitored.source like 'operator\_%'
                then coalesce(last_month_reports.latest_report_on_time, false)
        end as latest_report_on_time,
        monitored.freshness_hours,
        'system'::text as source_kind,
        null::text as owner_agency,
        null::text as sector
    from monitored
    left join last_attempt on last_attempt.source = monitored.source
    left join last_success on last_success.source = monitored.source
    left join latest_dq on latest_dq.table_checked = monitored.dq_table
    left join raw_dq on raw_dq.source = monitored.source
    left join last_month_reports on last_month_reports.source = monitored.source

),

-- Sector feeds: one row per declared feed. Its batches are audit.load_batch rows with source
-- 'sector_feeds' and entity = the feed's name; fresh = its last successful load finished at most
-- freshness_sla_hours before the reference moment, which for a feed (hourly ones included) is "now"
-- bounded by the end of the as-of day: least(now(), start of the day after the as-of day); dq_status
-- = the latest run of its generated expectations (dq suite 'sector_feed.<name>').
feed_batches as (

    select * from batches
    where source = 'sector_feeds'

),

feed_last_attempt as (

    select distinct on (entity)
        entity as feed_name,
        started_at as last_attempt_at,
        status as last_status
    from feed_batches
    order by entity, started_at desc, batch_id desc

),

feed_last_success as (

    select distinct on (entity)
        entity as feed_name,
        finished_at as last_success_at,
        rows_loaded,
        rows_quarantined
    from feed_batches
    where status = 'success'
    order by entity, finished_at desc, batch_id desc

),

feed_latest_dq as (

    select distinct on (suite_name)
        substr(suite_name, length('sector_feed.') + 1) as feed_name,
        dq_status
    from validation_runs
    where suite_name like 'sector\_feed.%'
    order by suite_name, run_at desc, validation_run_id desc

),

feed_rows as (

    select
        feed_declarations.feed_name as source,
        feed_declarations.cadence as expected_cadence,
        feed_last_attempt.last_attempt_at,
        feed_last_success.last_success_at,
        feed_last_attempt.last_status,
        feed_last_success.rows_loaded::bigint as rows_loaded_last_success,
        feed_last_success.rows_quarantined::bigint as rows_quarantined_last_success,
        coalesce(
            feed_last_success.last_success_at
                >= least(now(), {{ vn_day_start(as_of_date() ~ " + 1") }})
                    - make_interval(hours => feed_declarations.freshness_sla_hours),
            false
        ) as is_fresh,
        feed_latest_dq.dq_status,
        null::boolean as latest_report_on_time,
        feed_declarations.freshness_sla_hours as freshness_hours,
        'sector_feed'::text as source_kind,
        feed_declarations.owner_agency,
        feed_declarations.sector
    from feed_declarations
    left join feed_last_attempt on feed_last_attempt.feed_name = feed_declarations.feed_name
    left join feed_last_success on feed_last_success.feed_name = feed_declarations.feed_name
    left join feed_latest_dq on feed_latest_dq.feed_name = feed_declarations.feed_name

),

all_sources as (

    select * from final
    union all
    select * from feed_rows

)

select * from all_sources
