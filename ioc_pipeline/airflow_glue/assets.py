"""The Assets that link extraction to the dbt build.

URIs follow the postgres Asset scheme Airflow requires (`postgres://host:port/database/schema/table`);
the host is the connection id `warehouse`, a stable name rather than a machine.
"""

from airflow.sdk import Asset


def _table(schema: str, table: str) -> Asset:
    return Asset(name=f"{schema}.{table}", uri=f"postgres://warehouse:5432/ioc_warehouse/{schema}/{table}")


RAW_DOSSIERS = _table("raw", "one_stop_shop__dossier")
RAW_DEPARTMENTS = _table("raw", "dvc_portal__department")
RAW_FORMALITIES = _table("raw", "dvc_portal__formality")
RAW_EVALUATION_METRICS = _table("raw", "dvc_portal__evaluation_metric")
RAW_OPERATOR_REPORTS = _table("raw", "operator__report_file")
RAW_AGENCY_REPORTS = _table("raw", "one_stop_shop__agency_report")
RAW_CITIZEN_ACCOUNTS = _table("raw", "dvc_portal__citizen_accounts")
MARTS = _table("marts", "fct_dossier")

# Sector feeds (dags/ioc_sector_feeds.py): every feed run updates its own Asset, named after the feed;
# a feed of daily or slower cadence also updates RAW_SECTOR_FEEDS, which the build DAG listens to. An
# hourly feed does not: its records reach the marts with the next build (at least the nightly one),
# instead of a full marts build every hour.
RAW_SECTOR_FEEDS = _table("raw", "sector_feed_record")


def sector_feed_asset(feed_name: str) -> Asset:
    return Asset(name=f"sector_feed.{feed_name}", uri=f"ioc-sector-feed://{feed_name}")
