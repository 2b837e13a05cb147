"""The child processes of a run: Airflow's metadata database, `airflow dags test`, `dbt parse`.

There is no scheduler in the run command's process, so an Asset-scheduled DAG would never start on
its own: each DAG runs with `airflow dags test` (a real DAG run against a real metadata database,
kept apart from the warehouse). Every child gets the same environment: its own Airflow home, the
connections, and telemetry off.

Children never outlive the run: each starts in its own process group (`child()`), which is killed
when the run command is interrupted (SIGINT, SIGTERM: see `runner.run.stop_on_signals`), and asks
the kernel to SIGKILL it when the run command dies (`prctl(PR_SET_PDEATHSIG)`), since a SIGKILL of the
parent cannot be trapped; a guard process kills the group's other members then (`_tell_guard`).
Otherwise an orphaned `airflow dags test` would keep loading.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ioc_pipeline import config
from ioc_pipeline.warehouse.locate import WarehouseUrl


@dataclass
class StepOutcome:
    name: str
    ok: bool
    seconds: float
    log_path: Path


def airflow_env(warehouse: WarehouseUrl, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every Airflow process of a run gets: its own home and metadata DB, the
    connections, and telemetry off."""
    env = dict(os.environ)
    env.update(config.QUIET_ENV)
    env.update(
        {
            "AIRFLOW_HOME": str(config.AIRFLOW_HOME_DIR),
            "AIRFLOW__CORE__DAGS_FOLDER": str(config.DAGS_DIR),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
            "AIRFLOW_CONN_WAREHOUSE": warehouse.airflow_conn_json(),
            config.WAREHOUSE_URL_ENV: warehouse.url,
            config.TASK_RETRIES_ENV: str(config.task_retries(default=0)),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(config.PROJECT_ROOT), env.get("PYTHONPATH")])),
        }
    )
    env.update(extra or {})
    return env


def _bin(name: str) -> str:
    """An executable of this virtualenv (airflow, dbt), whatever PATH says."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


PR_SET_PDEATHSIG = 1
KILL_GRACE_SECONDS = 10
try:
    _LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:  # pragma: no cover - no libc to load
    _LIBC = None


def _die_with_parent(parent_pid: int):
    """The child's `preexec_fn`: SIGKILL me when my parent dies (Linux), even by SIGKILL."""
    def preexec() -> None:
        if _LIBC is not None:
            _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)
    return preexec


def kill_group(proc: subprocess.Popen) -> None:
    """End a child and everything it started: SIGTERM to its process group, SIGKILL after a grace."""
    if proc.poll() is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers of a group whose leader is gone
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


# The guard: a tiny process that learns each child's process group on its stdin and, when that pipe
# closes without the group having been let go (the run command died, even by SIGKILL), kills the
# groups. PR_SET_PDEATHSIG reaches only the direct child; the guard also takes its children down.
_GUARD_SCRIPT = """
import os, signal, sys
groups = set()
for line in sys.stdin:
    op, pgid = line.split()
    (groups.add if op == '+' else groups.discard)(int(pgid))
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""
_guard: subprocess.Popen | None = None


def _tell_guard(op: str, pgid: int) -> None:
    global _guard
    if _guard is None or _guard.poll() is not None:
        _guard = subprocess.Popen([sys.executable, "-c", _GUARD_SCRIPT, "ioc_pipeline-child-guard"],
                                  stdin=subprocess.PIPE, text=True, start_new_session=True)
    with contextlib.suppress(OSError):
        _guard.stdin.write(f"{op} {pgid}\n")
        _guard.stdin.flush()


def child(args: list[str], **kwargs) -> int:
    """Run a child process to its end in its own process group, dying with the run; its exit code.

    Any exception while waiting (the run command's SIGTERM handler, Ctrl-C) kills the group first."""
    proc = subprocess.Popen(args, start_new_session=True, preexec_fn=_die_with_parent(os.getpid()), **kwargs)
    _tell_guard("+", proc.pid)
    try:
        return proc.wait()
    finally:
        kill_group(proc)
        _tell_guard("-", proc.pid)


def _checked(args: list[str], **kwargs) -> None:
    code = child(args, **kwargs)
    if code != 0:
        raise subprocess.CalledProcessError(code, args)


def prepare_airflow(env: dict[str, str]) -> None:
    """Migrate the metadata database (SQLite under `.airflow/`, never the warehouse)."""
    config.AIRFLOW_HOME_DIR.mkdir(parents=True, exist_ok=True)
    _checked([_bin("airflow"), "db", "migrate"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def dbt_parse(warehouse: WarehouseUrl) -> None:
    """Write `dbt_project/target/manifest.json`, which Cosmos renders the build DAG from.

    dbt writes into a private target folder and the manifest is then moved into place with one
    rename: a DAG processor or another run reading the manifest meanwhile sees the old file or the
    new one, never half of one (dbt itself writes it in place).
    """
    import shutil
    import tempfile

    env = {**os.environ, **config.QUIET_ENV, **warehouse.dbt_env()}
    target = config.DBT_PROJECT_DIR / "target"
    target.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".parse-", dir=target) as private:
        cache = target / "partial_parse.msgpack"
        if cache.exists():  # keep dbt's partial parsing: a re-parse takes seconds, not tens
            shutil.copy2(cache, Path(private) / cache.name)
        _checked([_bin("dbt"), "parse", "--quiet", "--profiles-dir", str(config.DBT_PROJECT_DIR),
                  "--project-dir", str(config.DBT_PROJECT_DIR), "--target-path", private],
                 env=env, cwd=config.DBT_PROJECT_DIR)
        for name in ("partial_parse.msgpack", "manifest.json"):  # the manifest last
            if (Path(private) / name).exists():
                os.replace(Path(private) / name, target / name)


def run_dag(dag_id: str, conf: dict, env: dict[str, str], log_dir: Path) -> StepOutcome:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{dag_id}.log"
    # A fresh logical date per run: each run is a new DagRun, never a resumed one.
    logical_date = datetime.now(config.VN).isoformat(timespec="microseconds")
    started = time.monotonic()
    with log_path.open("w") as out:
        code = child([_bin("airflow"), "dags", "test", dag_id, logical_date, "--conf", json.dumps(conf)],
                     env=env, stdout=out, stderr=subprocess.STDOUT, cwd=config.PROJECT_ROOT)
    # `airflow dags test` exits 1 when the DAG run ends failed.
    return StepOutcome(dag_id, code == 0, time.monotonic() - started, log_path)
