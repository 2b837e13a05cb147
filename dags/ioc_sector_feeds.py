"""One DAG per declared sector feed (feeds/*.yml; docs/contracts/sources.md "Sector data feeds").

Adding a feed is adding a YAML file to the feeds folder (`IOC_SECTOR_FEEDS_DIR`, default `feeds/`):
this file reads the folder when Airflow parses it (YAML and pydantic only: no database, no network)
and makes `ioc_sector_feed__<name>` for every valid declaration, scheduled by its cadence (hourly at
minute 5, daily at 00:30, monthly on the 1st at 00:45, Vietnam time; each run loads the interval
that just ended). An invalid file makes no DAG and is logged; `python -m ioc_pipeline check-feeds`
says what is wrong.

A run (`ioc_pipeline/tasks/sector_feeds.py`): writes the folder's declarations to
`raw.sector_feed_declaration`, loads the feed's records for the run's window (a catch-up interval in
the conf, as for the other extractions, else the data interval) through the raw loader (batch,
quarantine, a version once), checks the batch with the feed's generated expectations, and updates
the feed's Asset. Feeds of daily or slower cadence also update `raw.sector_feed_record`, which
triggers `ioc_build_marts`; an hourly feed does not trigger a build of its own (24 full builds a day
for one feed): its records reach the marts with the next build.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from ioc_pipeline import config
from ioc_pipeline.airflow_glue.assets import RAW_SECTOR_FEEDS, sector_feed_asset
from ioc_pipeline.airflow_glue.defaults import default_args, run_label
from ioc_pipeline.airflow_glue.run_window import interval_params
from ioc_pipeline.feeds.spec import SectorFeed, check_feeds

log = logging.getLogger(__name__)

CRON = {"hourly": "5 * * * *", "daily": "30 0 * * *", "monthly": "45 0 1 * *"}


def feed_dag(feed: SectorFeed):
    outlets = [sector_feed_asset(feed.name)] + ([] if feed.cadence == "hourly" else [RAW_SECTOR_FEEDS])

    @dag(
        dag_id=f"ioc_sector_feed__{feed.name}",
        schedule=CronDataIntervalTimetable(CRON[feed.cadence], timezone=config.VN_TZ),
        start_date=pendulum.datetime(2024, 7, 1, tz=config.VN_TZ),
        catchup=False,
        max_active_runs=1,
        default_args=default_args(),
        params=interval_params(),
        tags=["ioc", "extract", "sector_feed", feed.sector],
        doc_md=f"**{feed.name}** ({feed.sector}, owner {feed.owner_agency}): {feed.description}\n\n"
               f"{feed.format} from {feed.source.kind}, {feed.cadence}, fresh within "
               f"{feed.freshness_sla_hours} h.\n\n" + (__doc__ or ""),
    )
    def sector_feed():
        @task(task_id="load_feed", outlets=outlets)
        def load_feed() -> dict:
            from airflow.exceptions import AirflowException

            from ioc_pipeline.airflow_glue.connections import warehouse_url
            from ioc_pipeline.airflow_glue.run_window import publish_as_of, run_window
            from ioc_pipeline.feeds.spec import check_feeds as read_feeds
            from ioc_pipeline.tasks.sector_feeds import load_feed as load, sync_declarations

            context = get_current_context()
            url = warehouse_url()
            valid, invalid = read_feeds(config.sector_feeds_dir())
            for problem in invalid:  # another feed's broken file must not stop this one
                log.error("sector feed declaration skipped: %s", problem)
            feeds = {f.name: f for f in valid}
            if feed.name not in feeds:
                raise AirflowException(f"sector feed {feed.name} is no longer declared")
            sync_declarations(url, list(feeds.values()))
            start, end = run_window(context)
            outcome = load(url, feeds[feed.name], start, end, run_label=run_label(context))
            summary = outcome.summary()
            if outcome.batch.status != "success":
                raise AirflowException(f"sector feed {feed.name}: {outcome.batch.error}")
            for outlet in outlets:
                if outlet is RAW_SECTOR_FEEDS:
                    publish_as_of(context, outlet)
            return summary

        load_feed()

    return sector_feed()


_feeds, _errors = check_feeds(config.sector_feeds_dir())
for _error in _errors:
    log.error("sector feed declaration skipped: %s", _error)
for _feed in _feeds:
    globals()[f"ioc_sector_feed__{_feed.name}"] = feed_dag(_feed)
