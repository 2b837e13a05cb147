"""CPU seconds a benchmark step costs on each side: this process (and its children, e.g. psql) and the
PostgreSQL backends serving the benchmark's database.

Why: the machine has two cores shared by the client, the server and other people's jobs, so wall time
alone cannot say whether a step is short of Python or of PostgreSQL; the CPU each side burned can.
The server side is read from `/proc/<pid>/stat` of every backend `pg_stat_activity` lists for the
database, polled every 0.1 s from a thread (a backend's last 0.1 s before it exits can be missed);
when the server is not on this machine (no such /proc entry) it reads "n/a".
"""

from __future__ import annotations

import os
import resource
import threading
import time

import psycopg

_TICK = os.sysconf("SC_CLK_TCK")


def _client_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class CpuMeter:
    """`with CpuMeter(admin_url, database) as meter: ...`, then `meter.note()`."""

    def __init__(self, admin_url: str, database: str):
        self.admin_url, self.database = admin_url, database
        self.server: dict[int, float] = {}  # backend pid -> CPU seconds last seen
        self.server_visible = False
        self.client = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> "CpuMeter":
        self._client_start = _client_seconds()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.client = _client_seconds() - self._client_start
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            started = {pid for (pid,) in conn.execute(
                "select pid from pg_stat_activity where datname = %s", (self.database,)).fetchall()}
            baseline = {pid: self._read(pid) for pid in started}
            while not self._stop.is_set():
                for (pid,) in conn.execute("select pid from pg_stat_activity where datname = %s",
                                           (self.database,)).fetchall():
                    seconds = self._read(pid)
                    if seconds is not None:
                        self.server_visible = True
                        self.server[pid] = seconds - (baseline.get(pid) or 0.0)
                time.sleep(0.1)

    @staticmethod
    def _read(pid: int) -> float | None:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime

    def note(self) -> str:
        server = f"{sum(self.server.values()):.1f} s" if self.server_visible else "n/a"
        return f"CPU: client {self.client:.1f} s, server backends {server}"
