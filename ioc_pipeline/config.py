"""The pipeline's settings: the one module that reads them from the environment.

Why one module: a setting read in several places drifts (two defaults, one forgotten in the
docs). Every variable the pipeline reads is named and documented here, in README's configuration
table and in `.env.example`, in the order of `docs/contracts/run.md`: environment variables
(Airflow connections `AIRFLOW_CONN_*` for credentials), then the project's own development
defaults. A test keeps the three lists equal and `IOC_*` names out of every other module.

Two kinds of reads, on purpose:

- folders of the local state are read once, at import: the run command hands them to its child
  processes through the environment, so every process of a run agrees on them;
- the rest is read on each call, inside tasks and commands (never at DAG parse time), so that a
  test or a task sees the value in force when it runs.

An empty value counts as unset (`.env` files and docker compose pass `VAR=` as an empty string).
Nothing here opens a connection; `warehouse.locate` decides which server actually answers.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DAGS_DIR = PROJECT_ROOT / "dags"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
REPORTS_DIR = PROJECT_ROOT / "reports"

# The province's time zone: source dates, schedules, intervals and report months are all in it.
VN_TZ = "Asia/Ho_Chi_Minh"
VN = ZoneInfo(VN_TZ)

WAREHOUSE_DATABASE = "ioc_warehouse"
DEV_PII_HASH_KEY = "dev-only-pii-key-do-not-use-in-production"

# Connection ids: the names of the AIRFLOW_CONN_* variables, lower-cased.
CONN_WAREHOUSE = "warehouse"
CONN_ONE_STOP_SHOP = "one_stop_shop"
CONN_DVC_PORTAL = "dvc_portal"

# Telemetry of the stack phones home and waits on a closed network: off for every process.
QUIET_ENV = {
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
}


def _get(name: str) -> str | None:
    return os.environ.get(name) or None


def _path(name: str, default: Path) -> Path:
    value = _get(name)
    return Path(value) if value else default


# --- the run command's contract (docs/contracts/run.md) -------------------------------------------------------

WAREHOUSE_URL_ENV = "WAREHOUSE_URL"
OPERATOR_REPORTS_INBOX_ENV = "OPERATOR_REPORTS_INBOX"
PII_HASH_KEY_ENV = "PII_HASH_KEY"


def warehouse_url() -> str | None:
    """WAREHOUSE_URL: `postgresql://user:pass@host:port/db` of the warehouse; None lets
    `warehouse.locate` look for a local server, then start the embedded one."""
    return _get(WAREHOUSE_URL_ENV)


def connection_uri(conn_id: str) -> str | None:
    """AIRFLOW_CONN_<ID>: the URI of an Airflow connection given in the environment, if any
    (AIRFLOW_CONN_ONE_STOP_SHOP, AIRFLOW_CONN_DVC_PORTAL; unset = the demo's simulator)."""
    return _get(f"AIRFLOW_CONN_{conn_id.upper()}")


def operator_reports_inbox() -> Path | None:
    """OPERATOR_REPORTS_INBOX: the folder the operators' workbooks are dropped into; None = the
    run command has the simulator fill `<IOC_STATE_DIR>/operator_inbox/`."""
    value = _get(OPERATOR_REPORTS_INBOX_ENV)
    return Path(value) if value else None


def pii_hash_key() -> bytes:
    """PII_HASH_KEY: the secret for pseudonymising identifiers; a loud development default when unset."""
    key = _get(PII_HASH_KEY_ENV)
    if not key:
        log.warning("PII_HASH_KEY is not set: using the development key (never do this in production)")
        key = DEV_PII_HASH_KEY
    return key.encode("utf-8")


def unconfigured_sources() -> list[str]:
    """The sources the environment leaves unset (`one_stop_shop`, `dvc_portal`, `operator_reports`):
    the run command serves the simulator for those (docs/contracts/run.md)."""
    missing = [conn for conn in (CONN_ONE_STOP_SHOP, CONN_DVC_PORTAL) if not connection_uri(conn)]
    if operator_reports_inbox() is None:
        missing.append("operator_reports")
    return missing


# --- local state, read once at import ------------------------------------------------------------

# IOC_STATE_DIR: git-ignored local state of the run command (logs, the simulated inbox, GX context).
STATE_DIR = _path("IOC_STATE_DIR", PROJECT_ROOT / ".run")
# IOC_AIRFLOW_HOME: the Airflow home (and SQLite metadata database) of the run command; never the
# warehouse. Tests use a throwaway one.
AIRFLOW_HOME_DIR = _path("IOC_AIRFLOW_HOME", PROJECT_ROOT / ".airflow")
# IOC_EMBEDDED_PG_DIR: where the embedded PostgreSQL keeps its cluster when no server answers.
EMBEDDED_PG_DIR = _path("IOC_EMBEDDED_PG_DIR", PROJECT_ROOT / ".pgdata")
# IOC_DATA_DOCS_DIR (as the process started): where the Data Docs HTML lands; see data_docs_dir().
DATA_DOCS_DIR = _path("IOC_DATA_DOCS_DIR", REPORTS_DIR / "data_docs")
# IOC_LOCAL_PG_URL: the local server looked for before the embedded one (tests point it at a
# closed port to exercise the fallback).
LOCAL_PG_URL = _get("IOC_LOCAL_PG_URL") or f"postgresql://postgres@127.0.0.1:5432/{WAREHOUSE_DATABASE}"


# --- read on each call ---------------------------------------------------------------------------

DATA_DOCS_DIR_ENV = "IOC_DATA_DOCS_DIR"
GX_ROOT_ENV = "IOC_GX_ROOT"
DBT_DOCS_DIR_ENV = "IOC_DBT_DOCS_DIR"
REPORTS_DIR_ENV = "IOC_REPORTS_DIR"
TASK_RETRIES_ENV = "IOC_TASK_RETRIES"
EXTRACT_OVERLAP_MINUTES_ENV = "IOC_EXTRACT_OVERLAP_MINUTES"
SIMULATOR_SCALE_ENV = "IOC_SIMULATOR_SCALE"
ABANDON_RUNNING_AFTER_MINUTES_ENV = "IOC_ABANDON_RUNNING_AFTER_MINUTES"
ALERT_TARGET_ENV = "IOC_ALERT_TARGET"
SECTOR_FEEDS_DIR_ENV = "IOC_SECTOR_FEEDS_DIR"
# Not a setting: the checkpoint puts the warehouse URL in this variable for the time of a run, and
# GX's data source config names it as `${IOC_GX_WAREHOUSE_URL}`, so that no password is ever written
# into the context's great_expectations.yml. Never set it yourself.
GX_WAREHOUSE_URL_ENV = "IOC_GX_WAREHOUSE_URL"

# Not settings: the values that change with every dbt build reach dbt as environment variables
# IOC_BUILD_<NAME> (the macro build_setting, dbt_project/macros/build_settings.sql), not as --vars: dbt
# re-parses the whole project when its --vars change, not when such a variable does (issue 14,
# BENCHMARKS.md "Fifth round"). The build DAG and the benchmarks set them; never set them yourself.
DBT_BUILD_ENV_PREFIX = "IOC_BUILD_"
DBT_BUILD_SETTINGS = ("as_of_date", "run_label", "test_since_batch", "test_since_derived_at")


def dbt_build_env(**values: object) -> dict[str, str]:
    """The environment for one dbt build: every setting of DBT_BUILD_SETTINGS, '' where not given (an
    empty variable is null to dbt, so a value left over in the environment never leaks into a build)."""
    unknown = set(values) - set(DBT_BUILD_SETTINGS)
    if unknown:
        raise ValueError(f"not a dbt build setting: {sorted(unknown)} (settings: {DBT_BUILD_SETTINGS})")
    return {DBT_BUILD_ENV_PREFIX + name.upper(): "" if values.get(name) is None else str(values[name])
            for name in DBT_BUILD_SETTINGS}

# Nightly intervals reach back this far into the previous one, so a record that changed while the
# previous extraction was paging is caught now (docs/contracts/sources.md: it may have been seen twice or not at all).
DEFAULT_EXTRACT_OVERLAP = timedelta(hours=2)


def data_docs_dir() -> Path:
    """IOC_DATA_DOCS_DIR: where the Great Expectations Data Docs HTML is written (`reports/data_docs/`)."""
    return _path(DATA_DOCS_DIR_ENV, DATA_DOCS_DIR)


def sector_feeds_dir() -> Path:
    """IOC_SECTOR_FEEDS_DIR: the folder of sector feed declarations, one YAML file a feed (`feeds/`)."""
    return _path(SECTOR_FEEDS_DIR_ENV, PROJECT_ROOT / "feeds")


def gx_root() -> Path:
    """IOC_GX_ROOT: the folder holding the GX File Data Context (`<root>/gx`); default IOC_STATE_DIR."""
    return _path(GX_ROOT_ENV, STATE_DIR)


def dbt_docs_dir() -> Path:
    """IOC_DBT_DOCS_DIR: where the build DAG publishes the dbt documentation site (`reports/dbt_docs/`)."""
    return _path(DBT_DOCS_DIR_ENV, REPORTS_DIR / "dbt_docs")


def reports_dir() -> Path:
    """IOC_REPORTS_DIR: where the build DAG writes the leaders' monthly report (`breakthroughs/`) and
    the auditors' page (`auditors/`): `reports/`."""
    return _path(REPORTS_DIR_ENV, REPORTS_DIR)


def task_retries(default: int = 2) -> int:
    """IOC_TASK_RETRIES: retries of a failed DAG task (2; the run command passes 0, because the
    HTTP layer already retried and a person is waiting for the answer)."""
    value = _get(TASK_RETRIES_ENV)
    return int(value) if value else default


def extract_overlap() -> timedelta:
    """IOC_EXTRACT_OVERLAP_MINUTES: how far a nightly interval reaches back into the previous one (120)."""
    minutes = _get(EXTRACT_OVERLAP_MINUTES_ENV)
    return timedelta(minutes=int(minutes)) if minutes else DEFAULT_EXTRACT_OVERLAP


def simulator_scale() -> float | None:
    """IOC_SIMULATOR_SCALE: dossiers per year, province-wide, of the demo's simulator; None = the
    simulator's own default (the few hundred the tests run on; `bin/demo` asks for 20000)."""
    value = _get(SIMULATOR_SCALE_ENV)
    return float(value) or None if value else None


# A load batch still `running` after this long was left by a dead process (a million dossiers load
# in minutes): the scheduled path marks it `abandoned` (the run command abandons every `running`
# batch, since it holds the warehouse lock and no other load can be live).
DEFAULT_ABANDON_RUNNING_AFTER = timedelta(hours=6)
DEFAULT_ALERT_TARGET = "log+table"


def abandon_running_after() -> timedelta:
    """IOC_ABANDON_RUNNING_AFTER_MINUTES: age after which a scheduled task marks a `running` load
    batch `abandoned` (360)."""
    minutes = _get(ABANDON_RUNNING_AFTER_MINUTES_ENV)
    return timedelta(minutes=int(minutes)) if minutes else DEFAULT_ABANDON_RUNNING_AFTER


def alert_target() -> str:
    """IOC_ALERT_TARGET: where a failed task is reported, `+`-separated: `log` (a line in the task
    log), `table` (a row in `audit.alert`), and last, optionally, a webhook URL `http(s)://...` that
    receives a JSON POST (`log+table`)."""
    return _get(ALERT_TARGET_ENV) or DEFAULT_ALERT_TARGET


# --- the scheduled stack on this machine (`bin/airflow`, ioc_pipeline/stack) -------------------------
# Not a setting: the mark every process of a local stack carries, so `down` finds them all.
STACK_MARK_ENV = "IOC_STACK_ID"
AIRFLOW_EXECUTOR_ENV = "IOC_AIRFLOW_EXECUTOR"
AIRFLOW_PORT_ENV = "IOC_AIRFLOW_PORT"


def stack_dir() -> Path:
    """IOC_STACK_DIR: state of `bin/airflow` (Airflow home, pid files, logs); default `.run/airflow-stack/`."""
    return _path("IOC_STACK_DIR", STATE_DIR / "airflow-stack")


def airflow_executor() -> str:
    """IOC_AIRFLOW_EXECUTOR: `local` (LocalExecutor, the single-machine default) or `celery`."""
    return _get(AIRFLOW_EXECUTOR_ENV) or "local"


def airflow_admin_password() -> str | None:
    """IOC_AIRFLOW_ADMIN_PASSWORD: the local UI admin's password; unset: generated once and kept."""
    return _get("IOC_AIRFLOW_ADMIN_PASSWORD")


def airflow_parallelism() -> int:
    """IOC_AIRFLOW_PARALLELISM: task slots of the local stack; default two per core."""
    return int(_get("IOC_AIRFLOW_PARALLELISM") or max(2, 2 * (os.cpu_count() or 1)))


def airflow_db_url() -> str | None:
    """IOC_AIRFLOW_DB_URL: the Airflow metadata database (never the warehouse's); unset: database
    `ioc_airflow` on the warehouse's server."""
    return _get("IOC_AIRFLOW_DB_URL")


def airflow_port() -> int | None:
    """IOC_AIRFLOW_PORT: the local api-server's (UI's) port; unset: 8080, or a free one if taken."""
    value = _get(AIRFLOW_PORT_ENV)
    return int(value) if value else None


def celery_broker_url() -> str | None:
    """IOC_CELERY_BROKER_URL: the Celery broker of the local stack; unset: redis://127.0.0.1:6379/0
    (started by `bin/airflow up --executor celery` when none answers)."""
    return _get("IOC_CELERY_BROKER_URL")
