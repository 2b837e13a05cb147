"""Reading the warehouse the way its readers do: as the role they are given, read-only.

The leaders' report reads as `ioc_reader` (schema `marts` only) and the auditors' page as `auditor`
(`marts`, `dq`, `audit`): the session switches to that role with SET ROLE right after connecting,
so a query that reached for `raw`, `staging` or `intermediate` would fail with a permission error
instead of quietly working because the pipeline's own login can read everything. The login used
must be that role or a member of it (the pipeline's owner role, a superuser, or a BI login granted
`ioc_reader`).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

READER_ROLE = "ioc_reader"
AUDITOR_ROLE = "auditor"


@contextmanager
def connect_as(warehouse_url: str, role: str) -> Iterator[psycopg.Connection]:
    """A read-only connection whose queries run as `role` (rows as dicts); `warehouse_url` is a
    libpq URL (`postgresql://...`, as WAREHOUSE_URL)."""
    with psycopg.connect(warehouse_url, row_factory=dict_row, autocommit=True) as conn:
        conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        conn.execute("set default_transaction_read_only = on")
        conn.execute("set search_path = pg_catalog")  # every name in a query is schema-qualified
        conn.execute("set timezone = 'UTC'")  # timestamps are converted to Vietnam time in Python
        yield conn


def current_role(conn: psycopg.Connection) -> str:
    return conn.execute("select current_user as role").fetchone()["role"]
