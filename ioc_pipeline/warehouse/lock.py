"""The warehouse-wide run lock: two runs never interleave their loads and builds.

Why: two run commands over one warehouse both exited 0 and left marts from two different as-of days.
The lock is a PostgreSQL advisory lock on a fixed key in the warehouse database (advisory locks are
per database, so test databases never collide):

- the run command takes it **exclusively, for its whole run**, on a dedicated session
  (`pg_try_advisory_lock`): a second run refuses at once naming the holder, or polls for up to
  `--wait` seconds. PostgreSQL releases it when that session ends, so a killed run never leaves it
  behind; the holder row in `audit.run_lock_holder` is only the name tag;
- a scheduled task takes it **shared** for the time of the task (`scheduled_task_lock`): scheduled
  tasks do not block one another, but they wait while a run command holds it, and a run command
  refuses (or waits) while one of them is loading. Tasks of the run command's own DAG runs skip it:
  their run already holds it exclusively.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import psycopg

from ioc_pipeline.warehouse.locate import CHECK_CONNECT_TIMEOUT, WarehouseUrl

log = logging.getLogger(__name__)

LOCK_NAME = "ioc_pipeline.run"
# A fixed 64-bit key ("IOC RUN" in ASCII): the same in every process and every version.
LOCK_KEY = 0x494F4352554E
POLL_SECONDS = 2.0


class LockBusy(Exception):
    """Another run holds the warehouse; the message names it."""


@dataclass
class RunLock:
    conn: psycopg.Connection
    run_label: str


def describe_holder(conn: psycopg.Connection) -> str:
    """Who holds the lock now, from pg_locks, the holder row and pg_stat_activity."""
    holders = conn.execute(
        """select l.pid, l.mode, a.application_name, a.client_addr::text, a.backend_start
             from pg_locks l left join pg_stat_activity a using (pid)
            where l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database
                  where datname = current_database())
              and ((l.classid::bigint << 32) | l.objid::bigint) = %s""", (LOCK_KEY,)).fetchall()
    if not holders:
        return "nobody (it was just released)"
    row = None
    if conn.execute("select to_regclass('audit.run_lock_holder')").fetchone()[0]:
        row = conn.execute(
            """select run_label, pid, host, since, interval_from, interval_to, backend_pid
                 from audit.run_lock_holder where lock_name = %s""", (LOCK_NAME,)).fetchone()
    exclusive = [h for h in holders if h[1] == "ExclusiveLock"]
    if exclusive and row and row[6] == exclusive[0][0]:
        label, pid, host, since, start, end, _ = row
        return (f"run {label} (pid {pid} on {host}, since {since:%Y-%m-%d %H:%M:%S %Z}, "
                f"interval [{start}, {end}))")
    parts = []
    for pid, mode, app, addr, started in holders:
        kind = "run" if mode == "ExclusiveLock" else "scheduled task"
        parts.append(f"{kind} {app or 'unnamed'} (server pid {pid}, from {addr or 'local socket'}, "
                     f"since {started:%Y-%m-%d %H:%M:%S %Z})")
    return "; ".join(parts)


@contextlib.contextmanager
def run_lock(url: WarehouseUrl, run_label: str, interval_from: date | None = None,
             interval_to: date | None = None, wait_seconds: float = 0) -> Iterator[RunLock]:
    """Hold the warehouse exclusively for the block; `LockBusy` if another run keeps it beyond
    `wait_seconds` (0: refuse at once)."""
    conn = psycopg.connect(url.url, autocommit=True, connect_timeout=CHECK_CONNECT_TIMEOUT,
                           application_name=f"ioc_pipeline {run_label}"[:63])
    try:
        deadline = time.monotonic() + max(wait_seconds, 0)
        told = False
        while not conn.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            if not told and wait_seconds > 0:
                log.warning("waiting up to %gs for the warehouse lock, held by %s", wait_seconds,
                            describe_holder(conn))
                told = True
            if time.monotonic() >= deadline:
                holder = describe_holder(conn)
                waited = f" after waiting {wait_seconds:g}s" if wait_seconds else ""
                raise LockBusy(f"the warehouse {url.database} is busy{waited}: held by {holder}; "
                               f"retry later or pass --wait SECONDS")
            time.sleep(POLL_SECONDS)
        yield RunLock(conn, run_label)
    finally:
        with contextlib.suppress(psycopg.Error):
            if not conn.closed:
                if conn.execute("select to_regclass('audit.run_lock_holder')").fetchone()[0]:
                    conn.execute("delete from audit.run_lock_holder where lock_name = %s and backend_pid = "
                                 "pg_backend_pid()", (LOCK_NAME,))
                conn.execute("select pg_advisory_unlock_all()")
        conn.close()


def record_holder(lock: RunLock, interval_from: date | None, interval_to: date | None) -> None:
    """Write the name tag of the lock (after bootstrap made `audit.run_lock_holder`)."""
    lock.conn.execute(
        """insert into audit.run_lock_holder (lock_name, run_label, pid, host, backend_pid, since,
                                              interval_from, interval_to)
           values (%s, %s, %s, %s, pg_backend_pid(), now(), %s, %s)
           on conflict (lock_name) do update set run_label = excluded.run_label, pid = excluded.pid,
               host = excluded.host, backend_pid = excluded.backend_pid, since = excluded.since,
               interval_from = excluded.interval_from, interval_to = excluded.interval_to""",
        (LOCK_NAME, lock.run_label, os.getpid(), socket.gethostname(), interval_from, interval_to))


@contextlib.contextmanager
def shared_lock(url: str, application_name: str) -> Iterator[psycopg.Connection]:
    """Hold the lock shared for the block (a scheduled task); waits while a run command holds it."""
    conn = psycopg.connect(url, autocommit=True, application_name=application_name[:63])
    try:
        conn.execute("select pg_advisory_lock_shared(%s)", (LOCK_KEY,))
        yield conn
    finally:
        conn.close()  # ends the session, which releases the lock
