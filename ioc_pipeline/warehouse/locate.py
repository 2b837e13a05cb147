"""Find the warehouse PostgreSQL, or start an embedded one, as `docs/contracts/run.md` asks.

Order: `WAREHOUSE_URL` if set; else a local server on 127.0.0.1:5432 if one answers; else an embedded
PostgreSQL 16 (`pgserver`, a real server shipped as a wheel) under the git-ignored `.pgdata/`. The
embedded server keeps running after this process ends, because Airflow task processes connect to it
too (`pgserver.get_server(".pgdata", cleanup_mode="stop").cleanup()` stops it).
"""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

import psycopg

from ioc_pipeline import config

log = logging.getLogger(__name__)

# Where a local server is looked for first (IOC_LOCAL_PG_URL overrides it, e.g. to test the fallback).
LOCAL_SERVER_URL = config.LOCAL_PG_URL


def redact(url: str) -> str:
    """The URL with its password as `***`, for logs and summaries (any scheme, libpq or SQLAlchemy)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


@dataclass(frozen=True)
class WarehouseUrl:
    """A libpq URL with the parts Airflow, dbt and GX each need in their own shape."""

    url: str

    @property
    def _parts(self):
        return urlsplit(self.url)

    @property
    def host(self) -> str:
        """TCP host, or the socket directory when the URL carries `?host=/dir`."""
        query_host = parse_qs(self._parts.query).get("host")
        if query_host:
            return query_host[0]
        return self._parts.hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return self._parts.port or 5432

    @property
    def user(self) -> str:
        return unquote(self._parts.username or "postgres")

    @property
    def password(self) -> str:
        return unquote(self._parts.password or "")

    @property
    def database(self) -> str:
        return self._parts.path.lstrip("/") or "postgres"

    def with_database(self, database: str) -> "WarehouseUrl":
        p = self._parts
        return WarehouseUrl(urlunsplit((p.scheme, p.netloc, "/" + database, p.query, p.fragment)))

    def airflow_conn_json(self) -> str:
        """The `AIRFLOW_CONN_WAREHOUSE` value. JSON, not a URI: a socket directory as host survives it."""
        return json.dumps(
            {
                "conn_type": "postgres",
                "host": self.host,
                "port": self.port,
                "login": self.user,
                "password": self.password,
                "schema": self.database,
            }
        )

    def dbt_env(self) -> dict[str, str]:
        """Variables read by `dbt_project/profiles.yml` (the CLI's dbt; Airflow uses Cosmos)."""
        return {
            "DBT_PG_HOST": self.host,
            "DBT_PG_PORT": str(self.port),
            "DBT_PG_USER": self.user,
            "DBT_PG_PASSWORD": self.password,
            "DBT_PG_DBNAME": self.database,
        }

    def redacted(self) -> str:
        return redact(self.url)


def from_airflow_connection(host: str, port: int | None, login: str | None, password: str | None,
                            schema: str | None) -> WarehouseUrl:
    """Rebuild a libpq URL from the fields of an Airflow connection (inside tasks)."""
    auth = quote(login or "postgres", safe="")
    if password:
        auth += ":" + quote(password, safe="")
    database = schema or config.WAREHOUSE_DATABASE
    if host and host.startswith("/"):
        return WarehouseUrl(f"postgresql://{auth}@/{database}?host={quote(host)}&port={port or 5432}")
    return WarehouseUrl(f"postgresql://{auth}@{host or '127.0.0.1'}:{port or 5432}/{database}")


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def start_embedded() -> WarehouseUrl:
    """Start (or reuse) the embedded PostgreSQL under `.pgdata/`."""
    import pgserver  # heavy import, only when actually needed

    config.EMBEDDED_PG_DIR.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(config.EMBEDDED_PG_DIR, cleanup_mode=None)
    url = WarehouseUrl(server.get_uri(config.WAREHOUSE_DATABASE))
    log.info("started embedded PostgreSQL at %s", config.EMBEDDED_PG_DIR)
    return url


def locate() -> WarehouseUrl:
    """The warehouse to use, started if needed. Does not create the database (see bootstrap)."""
    explicit = config.warehouse_url()
    if explicit:
        return WarehouseUrl(explicit)
    if _answers(WarehouseUrl(LOCAL_SERVER_URL).with_database("postgres").url):
        return WarehouseUrl(LOCAL_SERVER_URL)
    log.warning("no PostgreSQL answers on 127.0.0.1:5432: starting the embedded server")
    return start_embedded()


# Checks of a configured WAREHOUSE_URL fail fast: a wrong URL is a typo, not a slow network.
CHECK_CONNECT_TIMEOUT = 3
URL_SCHEMES = ("postgresql", "postgres")


class WarehouseError(Exception):
    """A warehouse that cannot be used, said in one line (the command line prints it, exit code 2)."""


def _one_line(exc: Exception) -> str:
    """The gist of a libpq error: its last non-empty line (libpq lists every address it tried)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[-1] if lines else type(exc).__name__
    return text.split(": ", 1)[1] if text.startswith("connection to server") and ": " in text else text


def check_warehouse(url: WarehouseUrl, *, create: bool) -> None:
    """Fail with one clear line unless `url` reaches a PostgreSQL that has its database.

    `create`: create a missing database (bootstrap, and the default warehouse) rather than refuse it;
    a database named explicitly in WAREHOUSE_URL is never created behind the run command's back.
    """
    scheme = url._parts.scheme
    shown = url.redacted()
    if scheme not in URL_SCHEMES:
        hint = " (a SQLAlchemy URL: drop the `+driver`)" if "+" in scheme else ""
        raise WarehouseError(f"WAREHOUSE_URL {shown}: scheme {scheme + '://' if scheme else 'missing'} is not "
                             f"supported{hint}; expected postgresql://user:pass@host:port/database")
    if not url.host.startswith("/"):
        try:
            socket.getaddrinfo(url.host, url.port)
        except (socket.gaierror, UnicodeError):
            raise WarehouseError(f"WAREHOUSE_URL {shown}: unknown host {url.host!r}") from None
    try:
        with psycopg.connect(url.url, connect_timeout=CHECK_CONNECT_TIMEOUT, autocommit=True):
            return
    except psycopg.OperationalError as exc:
        message = _one_line(exc)
        if f'database "{url.database}" does not exist' not in str(exc):
            where = f"{url.host}:{url.port}"
            if "refused" in str(exc).lower():
                raise WarehouseError(f"WAREHOUSE_URL {shown}: no PostgreSQL answers at {where} "
                                     f"(connection refused)") from None
            if "timeout" in str(exc).lower():
                raise WarehouseError(f"WAREHOUSE_URL {shown}: no answer from {where} within "
                                     f"{CHECK_CONNECT_TIMEOUT}s") from None
            raise WarehouseError(f"WAREHOUSE_URL {shown}: cannot connect to {where}: {message}") from None
    except psycopg.Error as exc:  # e.g. an invalid URL syntax
        raise WarehouseError(f"WAREHOUSE_URL {shown}: {_one_line(exc)}") from None
    if not create:
        raise WarehouseError(f"WAREHOUSE_URL {shown}: database {url.database!r} does not exist on "
                             f"{url.host}:{url.port}; run `python -m ioc_pipeline bootstrap` to create it")
    try:
        ensure_database(url)
    except psycopg.Error as exc:
        raise WarehouseError(f"WAREHOUSE_URL {shown}: cannot create database {url.database!r}: "
                             f"{_one_line(exc)}") from None


def locate_checked(*, create: bool) -> WarehouseUrl:
    """`locate()`, then `check_warehouse()`. The default warehouse (no WAREHOUSE_URL) is always
    created when missing, as before; an explicit one only when `create` (the bootstrap command)."""
    explicit = config.warehouse_url() is not None
    url = locate()
    check_warehouse(url, create=create or not explicit)
    return url


def ensure_database(url: WarehouseUrl) -> None:
    """Create the warehouse database if the server does not have it yet."""
    admin = url.with_database("postgres").url
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (url.database,)).fetchone()
        if not exists:
            conn.execute(f'create database "{url.database}"')
            log.info("created database %s", url.database)
