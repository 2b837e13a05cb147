"""Where the pipeline's settings come from.

One source of truth, in the order of `shared/contracts/run.md`: environment variables (Airflow
connections `AIRFLOW_CONN_*` for credentials), then the project's own development defaults. Nothing
here opens a connection; `warehouse.locate` decides which server actually answers.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DAGS_DIR = PROJECT_ROOT / "dags"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# Git-ignored local state: Airflow home, embedded PostgreSQL, reports, simulator inbox.
STATE_DIR = Path(os.environ.get("IOC_STATE_DIR", PROJECT_ROOT / ".run"))
# IOC_AIRFLOW_HOME moves it (tests use a throwaway one); never the warehouse database.
AIRFLOW_HOME_DIR = Path(os.environ.get("IOC_AIRFLOW_HOME", PROJECT_ROOT / ".airflow"))
EMBEDDED_PG_DIR = Path(os.environ.get("IOC_EMBEDDED_PG_DIR", PROJECT_ROOT / ".pgdata"))
REPORTS_DIR = PROJECT_ROOT / "reports"
DATA_DOCS_DIR = Path(os.environ.get("IOC_DATA_DOCS_DIR", REPORTS_DIR / "data_docs"))

VN_TZ = "Asia/Ho_Chi_Minh"
DEV_PII_HASH_KEY = "dev-only-pii-key-do-not-use-in-production"
WAREHOUSE_DATABASE = "ioc_warehouse"

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


@dataclass(frozen=True)
class HttpEndpoint:
    """An HTTP source as an Airflow connection describes it."""

    base_url: str
    login: str | None
    password: str | None

    @classmethod
    def from_uri(cls, uri: str) -> "HttpEndpoint":
        parts = urlsplit(uri)
        scheme = parts.scheme if parts.scheme in ("http", "https") else "http"
        host = parts.hostname or "127.0.0.1"
        netloc = f"{host}:{parts.port}" if parts.port else host
        return cls(
            base_url=f"{scheme}://{netloc}{parts.path.rstrip('/')}",
            login=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def pii_hash_key() -> bytes:
    """The secret for pseudonymising identifiers; a loud development default when unset."""
    key = os.environ.get("PII_HASH_KEY")
    if not key:
        log.warning("PII_HASH_KEY is not set: using the development key (never do this in production)")
        key = DEV_PII_HASH_KEY
    return key.encode("utf-8")


def connection_uri(conn_id: str) -> str | None:
    """The URI of an Airflow connection given in the environment, if any."""
    return os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
