"""The scheduled stack on this machine: api-server, scheduler, dag-processor, triggerer (and, with the
CeleryExecutor, Redis and a Celery worker), the way the data engineers run the nightly DAGs.

- Metadata: its own PostgreSQL database (`ioc_airflow` on the warehouse's server, or
  `IOC_AIRFLOW_DB_URL`), never the warehouse database. The warehouse connection comes from
  `WAREHOUSE_URL` (else the local or embedded server), as for the run command.
- DAGs: the project's `dags/`, no example DAGs; schedules and naive dates in Asia/Ho_Chi_Minh.
- Sized to the machine: parallelism (LocalExecutor workers, Celery concurrency) 2 × CPUs, one API
  worker, one DAG-parsing process.
- Sources: without `AIRFLOW_CONN_ONE_STOP_SHOP` / `AIRFLOW_CONN_DVC_PORTAL`, the project's simulator
  is served on loopback (world from 1 July 2024 to now, so nightly runs and backfills both find
  data); without `OPERATOR_REPORTS_INBOX`, it fills an inbox under the state folder.
- State (git-ignored): `IOC_STACK_DIR`, default `.run/airflow-stack/`: `home/` (AIRFLOW_HOME, task
  logs in `home/logs/`), `logs/<component>.log`, `pids/<component>.pid`, `stack.json`, and the
  generated secrets and admin password (mode 600).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from ioc_pipeline import config
from ioc_pipeline.stack import processes
from ioc_pipeline.stack.client import StackClient
from ioc_pipeline.warehouse.locate import WarehouseUrl

log = logging.getLogger(__name__)

VN_TZ = "Asia/Ho_Chi_Minh"
EXECUTORS = {"local": "LocalExecutor", "celery": "CeleryExecutor"}
CORE = ("api-server", "scheduler", "dag-processor", "triggerer")
METADATA_DATABASE = "ioc_airflow"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
SIMULATOR_FROM = "2024-07-01"
ADMIN = "admin"


# ---- where things are -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Paths:
    root: Path

    @classmethod
    def default(cls) -> "Paths":
        return cls(config.stack_dir().resolve())

    home = property(lambda self: self.root / "home")
    pids = property(lambda self: self.root / "pids")
    logs = property(lambda self: self.root / "logs")
    state = property(lambda self: self.root / "stack.json")
    secrets = property(lambda self: self.root / "secrets.json")
    passwords = property(lambda self: self.root / "simple_auth_manager_passwords.json")
    inbox = property(lambda self: self.root / "operator_inbox")
    task_logs = property(lambda self: self.root / "home" / "logs")


def _private_json(path: Path, make) -> dict:
    """Read a JSON file of secrets, creating it (mode 600) with `make()` the first time."""
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(value, fh)
        fh.write("\n")
    return value


def admin_password(paths: Paths) -> str:
    """The UI/API admin's password: IOC_AIRFLOW_ADMIN_PASSWORD if set, else generated once."""
    wanted = config.airflow_admin_password()
    passwords = _private_json(paths.passwords, lambda: {ADMIN: wanted or secrets.token_urlsafe(12)})
    if wanted and passwords.get(ADMIN) != wanted:
        paths.passwords.unlink()
        passwords = _private_json(paths.passwords, lambda: {ADMIN: wanted})
    return passwords[ADMIN]


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def stack_secrets(paths: Paths) -> dict:
    return _private_json(paths.secrets, lambda: {"jwt_secret": secrets.token_hex(32),
                                                 "api_secret_key": secrets.token_hex(32),
                                                 "fernet_key": _fernet_key()})


# ---- small helpers --------------------------------------------------------------------------------


def _airflow_bin() -> str:
    candidate = Path(sys.executable).parent / "airflow"
    return str(candidate) if candidate.exists() else "airflow"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def pick_port(preferred: int, explicit: bool = False) -> int:
    """`preferred` if free; else any free loopback port (an explicit choice that is busy is an error)."""
    if port_is_free(preferred):
        return preferred
    if explicit:
        raise SystemExit(f"port {preferred} is in use; choose another one")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_answers(host: str, port: int) -> bool:
    """A Redis server (not just any socket) answers PING on host:port."""
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            reply = s.recv(64)
        return reply.startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


def parallelism() -> int:
    return config.airflow_parallelism()


def sqlalchemy_url(url: WarehouseUrl) -> str:
    """The psycopg2 SQLAlchemy URL Airflow's metadata connection needs, from a libpq URL."""
    return "postgresql+psycopg2://" + url.url.split("://", 1)[1]


def metadata_url(warehouse: WarehouseUrl) -> WarehouseUrl:
    explicit = config.airflow_db_url()
    url = WarehouseUrl(explicit) if explicit else warehouse.with_database(METADATA_DATABASE)
    same_server = (url.host, url.port) == (warehouse.host, warehouse.port)
    if same_server and url.database == warehouse.database:
        raise SystemExit(f"the Airflow metadata database must not be the warehouse database ({url.database})")
    return url


def ensure_database(url: WarehouseUrl) -> None:
    with psycopg.connect(url.with_database("postgres").url, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (url.database,)).fetchone():
            conn.execute(f'create database "{url.database}"')
            log.info("created the Airflow metadata database %s", url.database)


def manifest_is_stale() -> bool:
    manifest = config.DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        return True
    skip = {"target", "logs", "dbt_packages"}
    newest = max((p.stat().st_mtime for p in config.DBT_PROJECT_DIR.rglob("*")
                  if p.is_file() and not skip & set(p.relative_to(config.DBT_PROJECT_DIR).parts)), default=0)
    return newest > manifest.stat().st_mtime


def expected_dag_ids() -> set[str]:
    ids = set()
    for path in config.DAGS_DIR.glob("*.py"):
        ids.update(re.findall(r'dag_id="([^"]+)"', path.read_text(encoding="utf-8")))
    return ids


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ---- the environment every process of the stack gets ------------------------------------------------


def stack_env(paths: Paths, *, executor: str, stack_id: str, api_port: int, ports: dict[str, int],
              warehouse: WarehouseUrl, metadata: WarehouseUrl, broker_url: str,
              sources: dict[str, str]) -> dict[str, str]:
    """What the stack sets on top of the caller's environment (see `full_env`)."""
    secret = stack_secrets(paths)
    size = parallelism()
    api = f"http://127.0.0.1:{api_port}"
    env = dict(config.QUIET_ENV)
    env.update({
        processes.MARK: stack_id,
        "SCARF_ANALYTICS": "false",
        "AIRFLOW_HOME": str(paths.home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(config.DAGS_DIR),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": VN_TZ,
        "AIRFLOW__CORE__EXECUTOR": EXECUTORS[executor],
        "AIRFLOW__CORE__PARALLELISM": str(size),
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(size),
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__CORE__FERNET_KEY": secret["fernet_key"],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
        "AIRFLOW__CORE__AUTH_MANAGER":
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(paths.passwords),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(metadata),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": api,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": secret["api_secret_key"],
        "AIRFLOW__API_AUTH__JWT_SECRET": secret["jwt_secret"],
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        # Re-parse a DAG file every 2 minutes instead of 30 s: Cosmos renders ioc_build_marts from the
        # dbt manifest, which costs CPU that 2 cores would rather spend on tasks.
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
        "AIRFLOW__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT": "180",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(ports["worker_log"]),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(ports["trigger_log"]),
        "AIRFLOW_CONN_WAREHOUSE": warehouse.airflow_conn_json(),
        "WAREHOUSE_URL": warehouse.url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(config.PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    })
    if executor == "celery":
        env.update({
            "AIRFLOW__CELERY__BROKER_URL": broker_url,
            # Task states in the metadata database, as in the official compose file.
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + sqlalchemy_url(metadata),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(size),
        })
    env.update(sources)
    return env


def full_env(overrides: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **overrides}


def load_state(paths: Paths) -> dict | None:
    try:
        return json.loads(paths.state.read_text())
    except (OSError, ValueError):
        return None


def _save_state(paths: Paths, state: dict) -> None:
    fd = os.open(paths.state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the secrets
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh, indent=1)


def running(paths: Paths) -> dict[str, bool]:
    state = load_state(paths) or {}
    return {name: processes.PidFile(paths.pids / f"{name}.pid").process() is not None
            for name in state.get("components", [])}


# ---- up ---------------------------------------------------------------------------------------------


def _start_simulator(paths: Paths, env: dict[str, str], need_conns: bool, need_inbox: bool) -> dict[str, str]:
    """Serve the simulator (and/or fill the inbox) for the sources left unconfigured."""
    now = datetime.now(config.VN).replace(microsecond=0)
    dossier_port, portal_port = pick_port(8601), pick_port(8602)
    if portal_port == dossier_port:
        portal_port = pick_port(dossier_port + 1)
    argv = [sys.executable, "-m", "ioc_pipeline", "simulate", "--dossier-port", str(dossier_port),
            "--portal-port", str(portal_port), "--from", SIMULATOR_FROM,
            "--to", (now + timedelta(days=1)).date().isoformat(), "--as-of", now.isoformat()]
    if config.simulator_scale():
        argv += ["--scale", str(config.simulator_scale())]
    if need_inbox:
        argv += ["--inbox", str(paths.inbox)]
    processes.start("simulator", argv, env, paths.pids, paths.logs, cwd=config.PROJECT_ROOT)
    deadline = time.monotonic() + 180
    log_file = paths.logs / "simulator.log"
    while "serving " not in (log_file.read_text(errors="replace") if log_file.exists() else ""):
        if processes.PidFile(paths.pids / "simulator.pid").process() is None:
            raise RuntimeError(f"the simulator stopped:\n{_tail(log_file)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the simulator did not start within 180 s:\n{_tail(log_file)}")
        time.sleep(0.3)
    sources = {}
    if need_conns:
        if not config.connection_uri(config.CONN_ONE_STOP_SHOP):
            sources["AIRFLOW_CONN_ONE_STOP_SHOP"] = f"http://:sim-key@127.0.0.1:{dossier_port}"
        if not config.connection_uri(config.CONN_DVC_PORTAL):
            sources["AIRFLOW_CONN_DVC_PORTAL"] = f"http://sim-client:sim-secret@127.0.0.1:{portal_port}"
    if need_inbox:
        sources["OPERATOR_REPORTS_INBOX"] = str(paths.inbox)
    return sources


def _start_redis(paths: Paths, broker_url: str, env: dict[str, str]) -> bool:
    """Start redis-server for a loopback broker nobody answers on; True if we started it."""
    parts = urlsplit(broker_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    if parts.scheme != "redis":
        return False
    if redis_answers(host, port):
        log.info("Redis already answers on %s:%s: using it", host, port)
        return False
    if host not in ("127.0.0.1", "localhost"):
        raise RuntimeError(f"no Redis answers at {host}:{port} (the Celery broker URL)")
    server = shutil.which("redis-server")
    if not server:
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    data = paths.root / "redis"
    data.mkdir(parents=True, exist_ok=True)
    processes.start("redis", [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                              "--appendonly", "no", "--dir", str(data), "--daemonize", "no"],
                    env, paths.pids, paths.logs)
    deadline = time.monotonic() + 30
    while not redis_answers("127.0.0.1", port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not answer within 30 s:\n{_tail(paths.logs / 'redis.log')}")
        time.sleep(0.2)
    return True


def _wait_healthy(paths: Paths, client: StackClient, components: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    wanted = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    health: dict = {}
    while True:
        for name in components:
            if processes.PidFile(paths.pids / f"{name}.pid").process() is None:
                raise RuntimeError(f"{name} stopped while starting:\n{_tail(paths.logs / f'{name}.log')}")
        try:
            health = client.health()
            if all((health.get(k) or {}).get("status") == "healthy" for k in wanted):
                break
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the stack is not healthy after {timeout:.0f} s: {health}")
        time.sleep(1)
    if "celery-worker" in components:
        worker_log = paths.logs / "celery-worker.log"
        while not re.search(r"@\S+ ready\.", worker_log.read_text(errors="replace") if worker_log.exists() else ""):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker is not ready after {timeout:.0f} s:\n{_tail(worker_log)}")
            time.sleep(1)


def _wait_for_dags(client: StackClient, timeout: float) -> tuple[set[str], list[dict]]:
    """Wait until every DAG of `dags/` is parsed (or an import error shows); bounded."""
    expected = expected_dag_ids()
    deadline = time.monotonic() + timeout
    while True:
        found = set(client.dags())
        errors = client.import_errors()
        if expected <= found or errors or time.monotonic() > deadline:
            return expected - found, errors
        time.sleep(2)


def up(executor: str = "local", timeout: float = 420.0) -> int:
    from ioc_pipeline.runner.dag_runs import dbt_parse
    from ioc_pipeline.warehouse.bootstrap import bootstrap
    from ioc_pipeline.warehouse.locate import locate

    paths = Paths.default()
    if any(running(paths).values()):
        print("the stack is already running (bin/airflow down stops it):")
        return status()
    stop_leftovers(paths)
    started = time.monotonic()
    for folder in (paths.root, paths.home, paths.pids, paths.logs):
        folder.mkdir(parents=True, exist_ok=True)
    stack_id = uuid.uuid4().hex
    print(f"== bringing the Airflow stack up ({EXECUTORS[executor]}, state in {paths.root})", flush=True)

    warehouse = locate()
    bootstrap(warehouse)
    metadata = metadata_url(warehouse)
    if manifest_is_stale():
        print("   dbt parse (the manifest Cosmos renders ioc_build_marts from)", flush=True)
        dbt_parse(warehouse)
    ensure_database(metadata)
    api_port = pick_port(config.airflow_port(), explicit=True) if config.airflow_port() else pick_port(8080)
    ports = {"worker_log": pick_port(8793), "trigger_log": pick_port(8794)}
    broker_url = config.celery_broker_url() or DEFAULT_BROKER
    password = admin_password(paths)
    overrides = stack_env(paths, executor=executor, stack_id=stack_id, api_port=api_port, ports=ports,
                          warehouse=warehouse, metadata=metadata, broker_url=broker_url, sources={})
    env = full_env(overrides)
    components: list[str] = []
    state = {"stack_id": stack_id, "executor": executor, "api_url": f"http://127.0.0.1:{api_port}",
             "username": ADMIN, "passwords_file": str(paths.passwords), "components": components,
             "warehouse": warehouse.redacted(), "metadata_db": metadata.redacted(), "env": overrides}
    _save_state(paths, state)
    try:
        print(f"   metadata database {metadata.redacted()}: airflow db migrate", flush=True)
        with (paths.logs / "db-migrate.log").open("w") as out:
            subprocess.run([_airflow_bin(), "db", "migrate"], env=env, stdout=out, stderr=subprocess.STDOUT,
                           check=True, timeout=900)
        need_conns = not (config.connection_uri(config.CONN_ONE_STOP_SHOP)
                          and config.connection_uri(config.CONN_DVC_PORTAL))
        need_inbox = not os.environ.get("OPERATOR_REPORTS_INBOX")
        if need_conns or need_inbox:
            print("   sources not configured: serving the simulator", flush=True)
            components.append("simulator")
            _save_state(paths, state)
            sources = _start_simulator(paths, env, need_conns, need_inbox)
            env.update(sources)
            overrides.update(sources)
        if executor == "celery":
            components.append("redis")
            _save_state(paths, state)
            if not _start_redis(paths, broker_url, env):
                components.remove("redis")
        names = [*CORE, *(["celery-worker"] if executor == "celery" else [])]
        commands = {"api-server": ["api-server"], "scheduler": ["scheduler"], "dag-processor": ["dag-processor"],
                    "triggerer": ["triggerer"],
                    "celery-worker": ["celery", "worker", "--celery-hostname", f"ioc-{stack_id[:8]}@%h"]}
        components.extend(names)
        _save_state(paths, state)
        for name in names:
            processes.start(name, [_airflow_bin(), *commands[name]], env, paths.pids, paths.logs,
                            cwd=config.PROJECT_ROOT)
        client = StackClient(state["api_url"], ADMIN, password)
        remaining = timeout - (time.monotonic() - started)
        _wait_healthy(paths, client, names, max(remaining, 60))
        missing, errors = _wait_for_dags(client, max(timeout - (time.monotonic() - started), 60))
    except BaseException as exc:
        print(f"!! the stack did not come up: {exc}\n   stopping what was started", file=sys.stderr, flush=True)
        down(quiet=True)
        if isinstance(exc, Exception):
            return 1
        raise
    print(f"== up in {time.monotonic() - started:.0f} s", flush=True)
    print_summary(paths, state)
    if missing or errors:
        for error in errors:
            print(f"!! import error in {error.get('filename')}: {error.get('stack_trace', '')[-2000:]}")
        if missing:
            print(f"!! DAGs not parsed yet: {', '.join(sorted(missing))} (see {paths.logs / 'dag-processor.log'})")
        return 1
    return 0


def print_summary(paths: Paths, state: dict) -> None:
    password = json.loads(paths.passwords.read_text()).get(ADMIN) if paths.passwords.exists() else "?"
    print(f"""
  UI and REST API   {state['api_url']}   (log in as {state['username']} / {password};
                    the password is kept in {state['passwords_file']})
  executor          {EXECUTORS[state['executor']]}, parallelism {state['env']['AIRFLOW__CORE__PARALLELISM']}
  metadata database {state['metadata_db']}
  warehouse         {state['warehouse']}
  task logs         {paths.task_logs}/dag_id=<dag>/run_id=<run>/task_id=<task>/attempt=<n>.log
  component logs    {paths.logs}/<component>.log
  Airflow CLI       bin/airflow <command>   (e.g. bin/airflow dags list)
  stop everything   bin/airflow down
""", flush=True)


# ---- down, status, the CLI ------------------------------------------------------------------------------


def stop_leftovers(paths: Paths) -> None:
    """Processes of a previous stack whose pid files remain (a crashed `up`, a reboot): stop them."""
    state = load_state(paths) or {}
    files = processes.pid_files(paths.pids)
    if files or state.get("stack_id"):
        left = processes.stop_all(files, state.get("stack_id"), timeout=15)
        if left:
            raise SystemExit(f"could not stop processes of the previous stack: {[p.pid for p in left]}")


def down(quiet: bool = False, timeout: float = 30.0) -> int:
    """SIGTERM every process of the stack (tasks get the chance to stop cleanly), SIGKILL after `timeout`."""
    paths = Paths.default()
    state = load_state(paths) or {}
    files = processes.pid_files(paths.pids)
    if not files and not state.get("stack_id"):
        if not quiet:
            print("the stack is not running")
        return 0
    names = [f.name for f in files if f.process() is not None]
    left = processes.stop_all(files, state.get("stack_id"), timeout=timeout)
    if left:
        print(f"!! still running after SIGKILL: {[(p.pid, p.name()) for p in left]}", file=sys.stderr)
        return 1
    if not quiet:
        print(f"stopped: {', '.join(names) or 'nothing was running'}")
    return 0


def status() -> int:
    """0: every component runs and the API says healthy; 1: something is down; 3: not started."""
    paths = Paths.default()
    state = load_state(paths)
    alive = running(paths)
    if not state or not any(alive.values()):
        print("the stack is not running (bin/airflow up starts it)")
        return 3
    for name, ok in alive.items():
        entry = processes.PidFile(paths.pids / f"{name}.pid").read()
        print(f"  {name:<14} {'running, pid ' + str(entry[0]) if ok and entry else 'NOT RUNNING'}")
    healthy = False
    try:
        health = StackClient(state["api_url"]).health()
        print("  health        ", ", ".join(f"{k}: {(v or {}).get('status')}" for k, v in health.items()))
        healthy = all((v or {}).get("status") == "healthy" for v in health.values() if v)
    except Exception as exc:  # noqa: BLE001
        print(f"  health         the API does not answer: {exc}")
    print_summary(paths, state)
    return 0 if all(alive.values()) and healthy else 1


def airflow_env() -> dict[str, str]:
    """The environment for `bin/airflow <airflow command>`: the running stack's, else a fresh one."""
    paths = Paths.default()
    state = load_state(paths)
    if state:
        env = full_env(state["env"])
        env.pop(processes.MARK, None)  # CLI commands are not part of the stack's processes
        return env
    from ioc_pipeline.warehouse.locate import locate

    warehouse = locate()
    env = full_env(stack_env(paths, executor="local", stack_id="",
                             api_port=config.airflow_port() or 8080,
                             ports={"worker_log": 8793, "trigger_log": 8794}, warehouse=warehouse,
                             metadata=metadata_url(warehouse), broker_url=DEFAULT_BROKER, sources={}))
    env.pop(processes.MARK, None)
    return env
