"""A small client of the stack's REST API (`/api/v2`), as a person's script or a test would use it.

Logs in through the SimpleAuthManager token endpoint (`POST /auth/token`), then sends the JWT as a
bearer token. Every wait is bounded.
"""

from __future__ import annotations

import time
from datetime import datetime

import requests

FINISHED = {"success", "failed"}


class ApiError(RuntimeError):
    pass


class StackClient:
    def __init__(self, base_url: str, username: str | None = None, password: str | None = None,
                 timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.username, self.password, self.timeout = username, password, timeout
        self.session = requests.Session()
        self._token: str | None = None

    # ---- plumbing --------------------------------------------------------------------------------

    def login(self) -> str:
        reply = self.session.post(f"{self.base_url}/auth/token", timeout=self.timeout,
                                  json={"username": self.username, "password": self.password})
        if reply.status_code not in (200, 201):
            raise ApiError(f"login as {self.username!r} refused: HTTP {reply.status_code} {reply.text[:200]}")
        self._token = reply.json()["access_token"]
        return self._token

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        for attempt in (1, 2):
            if self._token is None:
                self.login()
            reply = self.session.request(method, f"{self.base_url}/api/v2{path}", timeout=self.timeout,
                                         headers={"Authorization": f"Bearer {self._token}"}, **kwargs)
            if reply.status_code == 401 and attempt == 1:
                self._token = None  # expired: log in again once
                continue
            if reply.status_code >= 400:
                raise ApiError(f"{method} {path}: HTTP {reply.status_code} {reply.text[:500]}")
            return reply
        raise AssertionError("unreachable")

    def get(self, path: str, **params) -> dict:
        return self.request("GET", path, params=params or None).json()

    # ---- what the stack answers ------------------------------------------------------------------

    def health(self) -> dict:
        """`/api/v2/monitor/health` (no login needed): status of the database and each component."""
        reply = self.session.get(f"{self.base_url}/api/v2/monitor/health", timeout=self.timeout)
        reply.raise_for_status()
        return reply.json()

    def dags(self) -> dict[str, dict]:
        return {d["dag_id"]: d for d in self.get("/dags", limit=100)["dags"]}

    def import_errors(self) -> list[dict]:
        return self.get("/importErrors", limit=100)["import_errors"]

    def set_paused(self, dag_id: str, paused: bool) -> dict:
        return self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": paused}).json()

    def trigger(self, dag_id: str, logical_date: datetime | str | None = None, conf: dict | None = None) -> dict:
        """A manual run; `logical_date=None` is a run without a logical date (Airflow 3)."""
        if isinstance(logical_date, datetime):
            logical_date = logical_date.isoformat()
        body = {"logical_date": logical_date, "conf": conf or {}}
        return self.request("POST", f"/dags/{dag_id}/dagRuns", json=body).json()

    def dag_run(self, dag_id: str, run_id: str) -> dict:
        return self.get(f"/dags/{dag_id}/dagRuns/{run_id}")

    def dag_runs(self, dag_id: str) -> list[dict]:
        return self.get(f"/dags/{dag_id}/dagRuns", limit=100, order_by="run_after")["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=1000)["task_instances"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float, poll: float = 2.0) -> dict:
        """The run once it has finished (success or failed); ApiError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.dag_run(dag_id, run_id)
            if run["state"] in FINISHED:
                return run
            if time.monotonic() > deadline:
                raise ApiError(f"{dag_id} run {run_id} still {run['state']} after {timeout:.0f}s")
            time.sleep(poll)

    def wait_for(self, predicate, timeout: float, what: str, poll: float = 2.0):
        """Poll `predicate()` until it returns something truthy; ApiError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise ApiError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(poll)
