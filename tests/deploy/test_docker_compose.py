"""The Docker Compose stack, checked without a Docker engine.

docker-compose.yml is parsed with PyYAML (which resolves the `<<: *anchor` merge keys the way Compose
does) and its `${VAR}` interpolation is replayed in Python against `.env.example`. When the docker CLI
with the compose plugin is installed, `docker compose config` (no daemon needed) checks it as well.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
REQUIREMENTS = ROOT / "requirements.txt"

METADATA_DB = "airflow-metadata-db"
WAREHOUSE = "warehouse"
DATABASES = (METADATA_DB, WAREHOUSE)
INIT = "airflow-init"
CLI = "airflow-cli"
SIMULATOR = "source-simulator"
REDIS = "redis"
WORKER = "airflow-worker"
FLOWER = "flower"
# Long-running Airflow components and what they run.
AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    WORKER: "celery worker",
    FLOWER: "celery flower",
}
AIRFLOW_SERVICES = (*AIRFLOW_COMMANDS, INIT, CLI)

# The variables of docs/contracts/run.md ("Configuration"): .env.example documents them too.
RUN_MD_VARIABLES = {
    "WAREHOUSE_URL",
    "AIRFLOW_CONN_ONE_STOP_SHOP",
    "AIRFLOW_CONN_DVC_PORTAL",
    "OPERATOR_REPORTS_INBOX",
    "PII_HASH_KEY",
}
TELEMETRY_OFF = {
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "AIRFLOW__USAGE_DATA_COLLECTION__ENABLED": "False",
}
# Credentials of the project's own source simulator: fake by design, the only literal ones allowed.
SIMULATOR_CREDENTIALS = {"sim-key", "sim-secret"}

COMMON_MOUNTS = {
    "./dags": "/opt/airflow/dags",
    "./dbt_project": "/opt/airflow/dbt_project",
    "./expectations": "/opt/airflow/expectations",
    "./ioc_pipeline": "/opt/airflow/ioc_pipeline",
    "./logs": "/opt/airflow/logs",
    "./reports": "/opt/airflow/reports",
    "${OPERATOR_REPORTS_INBOX_HOST:-./inbox}": "/opt/airflow/inbox",
    "./feeds": "/opt/airflow/feeds",  # the sector feed declarations (dags/ioc_sector_feeds.py)
}

# Compose interpolation: `$$` is a literal `$`; `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
# `${NAME:?error}`, `${NAME?error}`, `${NAME:+alt}`, `${NAME+alt}`; and the bare `$NAME`.
TOKEN = re.compile(
    r"\$\$"
    r"|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
    r"|\$"
)
WHOLE_REFERENCE = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}$")


# ---- helpers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw() -> str:
    """The compose file without its full-line comments (Compose interpolates values, not comments)."""
    lines = COMPOSE_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(line for line in lines if not line.lstrip().startswith("#"))


@pytest.fixture(scope="module")
def compose(raw) -> dict:
    return yaml.safe_load(raw)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def common(compose) -> dict:
    return compose["x-airflow-common"]


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f".env.example: not KEY=value: {line!r}"
        values[key.strip()] = value.strip()
    return values


def referenced_variables(text: str) -> set[str]:
    names = set()
    for match in TOKEN.finditer(text):
        name = match.group("braced") or match.group("bare")
        if name:
            names.add(name)
    return names


class MissingVariable(Exception):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    """Replay Compose's interpolation of `text` with `env`; raise MissingVariable like it does."""

    def substitute(match: re.Match) -> str:
        whole = match.group(0)
        if whole == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        if not name:
            near = text[match.start():match.start() + 40]
            raise AssertionError(f"a lone '$' (write '$$' for a literal dollar) near {near!r}")
        op, arg = match.group("op"), match.group("arg") or ""
        value = env.get(name)
        is_set = value is not None
        is_set_and_not_empty = bool(value)
        if op == ":-":
            return value if is_set_and_not_empty else arg
        if op == "-":
            return value if is_set else arg
        if op == ":?":
            if not is_set_and_not_empty:
                raise MissingVariable(f"{name}: {arg}")
            return value
        if op == "?":
            if not is_set:
                raise MissingVariable(f"{name}: {arg}")
            return value
        if op == ":+":
            return arg if is_set_and_not_empty else ""
        if op == "+":
            return arg if is_set else ""
        return value or ""

    return TOKEN.sub(substitute, text)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment must be a mapping (so that the anchors merge)"
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def named_volume_sources(service: dict) -> set[str]:
    sources = set()
    for entry in service.get("volumes") or []:
        source = entry["source"] if isinstance(entry, dict) else entry.split(":", 1)[0]
        if not source.startswith((".", "/", "$", "~")):
            sources.add(source)
    return sources


def url_in(value: str, env: dict[str, str]):
    return urlsplit(interpolate(value, env))


def command_text(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


# ---- services and the Airflow arrangement ----------------------------------------------------------


def test_required_services_exist(services):
    required = {METADATA_DB, WAREHOUSE, REDIS, *AIRFLOW_COMMANDS, INIT, CLI, SIMULATOR}
    assert required <= set(services), f"missing: {sorted(required - set(services))}"


# ---- Celery: the official Airflow 3 layout ---------------------------------------------------------


def test_celery_executor_with_the_redis_broker(common, services):
    env = environment(common)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
    assert (broker.scheme, broker.hostname, broker.port, broker.path) == ("redis", REDIS, 6379, "/0")


def test_celery_result_backend_is_the_metadata_database(common, services):
    env = env_example()
    common_env = environment(common)
    backend = common_env["AIRFLOW__CELERY__RESULT_BACKEND"]
    assert backend.startswith("db+postgresql://")
    backend_url, metadata_url = url_in(backend, env), url_in(common_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], env)
    assert backend_url.hostname == METADATA_DB != WAREHOUSE
    assert (backend_url.username, backend_url.password, backend_url.path) == (
        metadata_url.username, metadata_url.password, metadata_url.path)


def test_redis_service(services):
    redis = services[REDIS]
    assert redis["image"] == "redis:7.2-bookworm"
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert redis["expose"] == [6379] and "ports" not in redis, "the broker is not published to the host"
    assert redis["restart"] == "always"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_services_wait_for_the_broker(services, name):
    assert services[name]["depends_on"][REDIS] == {"condition": "service_healthy"}


def test_celery_worker(services, common):
    worker = services[WORKER]
    assert worker["command"] == "celery worker"
    test = worker["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert 'celery --app airflow.providers.celery.executors.celery_executor.app inspect ping -d "celery@$${HOSTNAME}"' \
        in test[1]
    env = environment(worker)
    assert env["DUMB_INIT_SETSID"] == "0", "warm shutdown: dumb-init must pass SIGTERM to celery only"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    # Tasks call the api-server's Execution API: the worker starts once it is healthy.
    assert worker["depends_on"]["airflow-apiserver"] == {"condition": "service_healthy"}
    assert worker["depends_on"][INIT] == {"condition": "service_completed_successfully"}
    assert worker["restart"] == "always"


def test_flower_is_optional(services):
    flower = services[FLOWER]
    assert flower["profiles"] == ["flower"] and flower["command"] == "celery flower"
    assert flower["ports"] == ["5555:5555"]
    assert flower["healthcheck"]["test"] == ["CMD", "curl", "--fail", "http://localhost:5555/"]


@pytest.mark.parametrize("name,command", sorted(AIRFLOW_COMMANDS.items()))
def test_airflow_components_run_their_command(services, name, command):
    assert services[name]["command"] == command


def test_common_anchor_builds_the_project_image(common):
    assert common["build"] == "."
    assert common["image"] == "${AIRFLOW_IMAGE_NAME:-ioc-pipeline-airflow:latest}"
    assert common["user"] == "${AIRFLOW_UID:-50000}:0"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_services_merge_the_common_settings(services, common, name):
    service = services[name]
    assert service["image"] == common["image"] and service["build"] == common["build"]
    assert service["volumes"] == common["volumes"]
    env, common_env = environment(service), environment(common)
    for key, value in common_env.items():
        assert env.get(key) == value, f"{name}: {key} differs from x-airflow-common"
    # airflow-init runs as root, like the official file, to create and chown the shared folders.
    assert service["user"] == ("0:0" if name == INIT else common["user"])


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_services_wait_for_both_databases(services, name):
    depends_on = services[name]["depends_on"]
    for database in DATABASES:
        assert depends_on[database] == {"condition": "service_healthy"}, f"{name} -> {database}"


@pytest.mark.parametrize("name", [n for n in AIRFLOW_SERVICES if n != INIT])
def test_airflow_services_wait_for_airflow_init(services, name):
    assert services[name]["depends_on"][INIT] == {"condition": "service_completed_successfully"}


def test_common_volumes_are_the_project_folders(common):
    mounts = dict(entry.rsplit(":", 1) for entry in common["volumes"])
    assert mounts == COMMON_MOUNTS


@pytest.mark.parametrize("folder", ["dags", "dbt_project", "expectations", "ioc_pipeline", "feeds"])
def test_mounted_project_folders_exist(folder):
    assert (ROOT / folder).is_dir(), f"./{folder} is mounted into the Airflow containers"


def test_ioc_pipeline_is_importable_in_the_containers(common):
    assert environment(common)["PYTHONPATH"] == "/opt/airflow"
    assert "./ioc_pipeline:/opt/airflow/ioc_pipeline" in common["volumes"]


def test_airflow_common_environment(common):
    env = environment(common)
    expected = {
        "AIRFLOW__CORE__FERNET_KEY": "${AIRFLOW__CORE__FERNET_KEY:-}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://airflow-apiserver:8080/execution/",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "true",
        "AIRFLOW__CORE__DAGS_FOLDER": "/opt/airflow/dags",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "true",
        "AIRFLOW_CONN_ONE_STOP_SHOP": "${AIRFLOW_CONN_ONE_STOP_SHOP:-http://:sim-key@source-simulator:8601}",
        "AIRFLOW_CONN_DVC_PORTAL": "${AIRFLOW_CONN_DVC_PORTAL:-http://sim-client:sim-secret@source-simulator:8602}",
        "OPERATOR_REPORTS_INBOX": "/opt/airflow/inbox",
        "IOC_DATA_DOCS_DIR": "/opt/airflow/reports/data_docs",
        "IOC_SECTOR_FEEDS_DIR": "/opt/airflow/feeds",
    }
    for key, value in expected.items():
        assert env.get(key) == value, key
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW_JWT_SECRET:?")
    assert env["PII_HASH_KEY"].startswith("${PII_HASH_KEY:?")


# ---- the two databases -----------------------------------------------------------------------------


def test_metadata_db_and_warehouse_are_separate(services, compose):
    metadata, warehouse = services[METADATA_DB], services[WAREHOUSE]
    for service in (metadata, warehouse):
        assert service["image"] == "postgres:16"
    metadata_env, warehouse_env = environment(metadata), environment(warehouse)
    assert metadata_env["POSTGRES_USER"] == "airflow" and metadata_env["POSTGRES_DB"] == "airflow"
    assert warehouse_env["POSTGRES_USER"] == "ioc_pipeline" and warehouse_env["POSTGRES_DB"] == "ioc_warehouse"
    assert warehouse_env["POSTGRES_PASSWORD"].startswith("${WAREHOUSE_PASSWORD:?")
    assert metadata_env["POSTGRES_PASSWORD"].startswith("${AIRFLOW_METADATA_DB_PASSWORD:?")
    metadata_volumes, warehouse_volumes = named_volume_sources(metadata), named_volume_sources(warehouse)
    assert metadata_volumes and warehouse_volumes and not metadata_volumes & warehouse_volumes
    assert any(v.endswith(":/var/lib/postgresql/data") for v in metadata["volumes"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in warehouse["volumes"])


def test_warehouse_is_published_for_the_bi_tool_and_metadata_db_is_not(services):
    assert services[WAREHOUSE]["ports"] == ["5433:5432"]
    assert "ports" not in services[METADATA_DB]


def test_airflow_metadata_connection_points_at_the_metadata_db(services, common):
    env = env_example()
    metadata_env = environment(services[METADATA_DB])
    url = url_in(environment(common)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], env)
    assert url.scheme == "postgresql+psycopg2"
    assert url.hostname == METADATA_DB
    assert url.username == metadata_env["POSTGRES_USER"]
    assert url.password == interpolate(metadata_env["POSTGRES_PASSWORD"], env)
    assert url.path.lstrip("/") == metadata_env["POSTGRES_DB"]


@pytest.mark.parametrize("key,scheme", [("AIRFLOW_CONN_WAREHOUSE", "postgres"), ("WAREHOUSE_URL", "postgresql")])
def test_warehouse_connections_point_at_the_warehouse(services, common, key, scheme):
    env = env_example()
    warehouse_env = environment(services[WAREHOUSE])
    url = url_in(environment(common)[key], env)
    assert url.scheme == scheme
    assert url.hostname == WAREHOUSE and url.port == 5432
    assert url.username == warehouse_env["POSTGRES_USER"]
    assert url.password == interpolate(warehouse_env["POSTGRES_PASSWORD"], env)
    assert url.path.lstrip("/") == warehouse_env["POSTGRES_DB"]


def test_every_named_volume_is_declared(services, compose):
    declared = set(compose.get("volumes") or {})
    used = set().union(*(named_volume_sources(s) for s in services.values()))
    assert used <= declared, f"undeclared volumes: {sorted(used - declared)}"
    assert used == declared, f"declared but unused: {sorted(declared - used)}"


# ---- healthchecks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATABASES)
def test_databases_have_pg_isready_healthchecks(services, name):
    test = services[name]["healthcheck"]["test"]
    user = environment(services[name])["POSTGRES_USER"]
    assert test[:2] == ["CMD", "pg_isready"] and user in test


def test_apiserver_healthcheck(services):
    service = services["airflow-apiserver"]
    assert service["ports"] == ["8080:8080"]
    assert service["healthcheck"]["test"] == ["CMD", "curl", "--fail", "http://localhost:8080/api/v2/version"]


def test_scheduler_healthcheck(services):
    service = services["airflow-scheduler"]
    assert service["healthcheck"]["test"] == ["CMD", "curl", "--fail", "http://localhost:8974/health"]
    assert environment(service)["AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK"] == "true"


@pytest.mark.parametrize(
    "name,job", [("airflow-dag-processor", "DagProcessorJob"), ("airflow-triggerer", "TriggererJob")]
)
def test_job_healthchecks(services, name, job):
    assert services[name]["healthcheck"]["test"] == [
        "CMD-SHELL",
        f'airflow jobs check --job-type {job} --hostname "$${{HOSTNAME}}"',
    ]


# ---- airflow-init, airflow-cli and the simulator ---------------------------------------------------


def test_airflow_init_migrates_creates_the_admin_and_bootstraps_the_warehouse(services):
    init = services[INIT]
    assert init["entrypoint"] == "/bin/bash" and init["command"][0] == "-c"
    script = init["command"][1]
    env = environment(init)
    assert env["_AIRFLOW_DB_MIGRATE"] == "true" and env["_AIRFLOW_WWW_USER_CREATE"] == "true"
    assert env["_AIRFLOW_WWW_USER_USERNAME"] == "${_AIRFLOW_WWW_USER_USERNAME:-airflow}"
    assert env["_AIRFLOW_WWW_USER_PASSWORD"].startswith("${_AIRFLOW_WWW_USER_PASSWORD:?")
    # The official resource checks, then migration (through the image's entrypoint), then ours.
    for marker in ("mem_available", "cpus_available", "disk_available", "/entrypoint airflow version"):
        assert marker in script, marker
    steps = [
        "/entrypoint airflow version",
        "python -m ioc_pipeline bootstrap",
        "python -m ioc_pipeline dbt-parse",
        'chown -R "${AIRFLOW_UID}:0" /opt/airflow/',
    ]
    positions = [script.index(step) for step in steps]
    assert positions == sorted(positions), "migrate, then bootstrap, then dbt parse, then chown"
    # A failed bootstrap or parse must fail airflow-init, so that nothing starts on a broken warehouse.
    for step in steps[1:3]:
        line = next(line for line in script.splitlines() if step in line)
        assert "exit 1" in line, line
    assert "mkdir -v -p /opt/airflow/{logs,dags,reports/data_docs,inbox}" in script


def test_airflow_init_script_is_valid_bash(raw, tmp_path):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash to check the script with")
    rendered = yaml.safe_load(interpolate(raw, env_example()))
    script = tmp_path / "airflow-init.sh"
    script.write_text(rendered["services"][INIT]["command"][1])
    check = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_airflow_cli_is_the_debug_profile(services):
    cli = services[CLI]
    assert cli["profiles"] == ["debug"]
    assert cli["command"] == ["bash", "-c", "airflow"]
    assert environment(cli)["CONNECTION_CHECK_MAX_COUNT"] == "0"


def test_source_simulator(services, common):
    simulator = services[SIMULATOR]
    assert simulator["profiles"] == ["demo"]
    assert simulator["image"] == common["image"]
    command = command_text(simulator)
    assert "python -m ioc_pipeline simulate" in command
    assert "--dossier-port 8601" in command and "--portal-port 8602" in command
    assert "--host 0.0.0.0" in command, "inside a container the simulator must listen beyond loopback"
    assert simulator["ports"] == ["8601:8601", "8602:8602"]
    env = environment(simulator)
    assert env["OPERATOR_REPORTS_INBOX"] == "/opt/airflow/inbox"
    assert "${OPERATOR_REPORTS_INBOX_HOST:-./inbox}:/opt/airflow/inbox" in simulator["volumes"]
    # The Airflow services' default source connections point at it.
    common_env = environment(common)
    assert urlsplit(interpolate(common_env["AIRFLOW_CONN_ONE_STOP_SHOP"], {})).netloc.endswith("@source-simulator:8601")
    assert urlsplit(interpolate(common_env["AIRFLOW_CONN_DVC_PORTAL"], {})).netloc.endswith("@source-simulator:8602")


# ---- telemetry -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*AIRFLOW_SERVICES, SIMULATOR])
def test_telemetry_is_off_in_every_container(services, name):
    env = environment(services[name])
    for key, value in TELEMETRY_OFF.items():
        assert env.get(key) == value, f"{name}: {key}"


def test_telemetry_is_off_in_the_image():
    text = DOCKERFILE.read_text(encoding="utf-8")
    for key, value in TELEMETRY_OFF.items():
        assert re.search(rf"^\s*(ENV\s+)?{re.escape(key)}={re.escape(value)}\b", text, re.M), key


# ---- variables and secrets -------------------------------------------------------------------------


def test_every_compose_variable_is_in_env_example(raw):
    documented = set(env_example())
    used = referenced_variables(raw)
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"


def test_every_env_example_variable_is_used(raw):
    documented = set(env_example())
    used = referenced_variables(raw) | RUN_MD_VARIABLES
    assert documented <= used, f"in .env.example but used nowhere: {sorted(documented - used)}"
    assert RUN_MD_VARIABLES <= documented


def test_every_env_example_variable_has_a_comment():
    previous = ""
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert previous.startswith("#"), f"no comment above {line!r}"
        previous = line


def test_dollar_signs_are_escaped_or_interpolated(raw):
    # A lone `$` is an error for Compose; shell variables in commands must be written `$$`.
    for match in TOKEN.finditer(raw):
        assert match.group(0) == "$$" or match.group("braced") or match.group("bare"), (
            f"lone '$' near {raw[match.start():match.start() + 40]!r}"
        )
    bare = {m.group("bare") for m in TOKEN.finditer(raw) if m.group("bare")}
    assert not bare, f"write ${{NAME}} rather than $NAME: {sorted(bare)}"


def secret_like(key: str) -> bool:
    return any(word in key.upper() for word in ("PASSWORD", "SECRET", "KEY"))


def test_no_literal_secret_in_the_compose_file(compose):
    mappings = [compose["x-airflow-common"]] + list(compose["services"].values())
    checked = 0
    for mapping in mappings:
        for key, value in environment(mapping).items():
            if not secret_like(key):
                continue
            checked += 1
            reference = WHOLE_REFERENCE.match(value)
            assert value == "" or reference, f"{key}: literal value {value!r}"
            if reference and reference.group("op") in (":-", "-"):
                assert reference.group("arg") == "", f"{key}: a default secret {value!r}"
    assert checked >= 6


def test_no_literal_password_in_any_url(raw):
    for match in re.finditer(r"[a-z][a-z0-9+.-]*://(?P<user>[^:@/\s]*):(?P<password>[^@\s]*)@", raw):
        password = match.group("password")
        if password in SIMULATOR_CREDENTIALS:
            continue
        reference = WHOLE_REFERENCE.match(password)
        assert reference and reference.group("op") == ":?", f"literal password in {match.group(0)!r}"


def test_passwords_are_required_so_a_missing_env_file_fails_loudly(raw):
    for name in ("AIRFLOW_METADATA_DB_PASSWORD", "WAREHOUSE_PASSWORD", "AIRFLOW_JWT_SECRET", "PII_HASH_KEY",
                 "_AIRFLOW_WWW_USER_PASSWORD"):
        uses = re.findall(rf"\$\{{{name}(:?[-?+])?", raw)
        assert uses and all(op == ":?" for op in uses), f"{name} must always be ${{{name}:?message}}"
    with pytest.raises(MissingVariable):
        interpolate(raw, {})


def test_env_example_holds_placeholders_only():
    for key, value in env_example().items():
        if secret_like(key) and "USERNAME" not in key:
            assert value == "" or value.startswith("change-me"), f"{key}: not a placeholder"


def test_compose_file_interpolates_with_env_example(raw):
    rendered = interpolate(raw, env_example())
    # Compose interpolates the parsed values; after that, what is left of `$$` is a shell `$`.
    config = yaml.safe_load(rendered)
    assert config["services"][WAREHOUSE]["environment"]["POSTGRES_PASSWORD"] == env_example()["WAREHOUSE_PASSWORD"]


# ---- the image -------------------------------------------------------------------------------------


def airflow_pin(requirements_text: str) -> str:
    pins = re.findall(r"^\s*apache-airflow\s*==\s*([0-9][^\s;#]*)", requirements_text, re.M)
    assert len(pins) == 1, "requirements.txt must pin apache-airflow exactly once"
    return pins[0]


def test_dockerfile_base_image_matches_the_airflow_pin():
    assert REQUIREMENTS.is_file(), "requirements.txt (repo root) pins apache-airflow for the image"
    pinned = airflow_pin(REQUIREMENTS.read_text(encoding="utf-8"))
    froms = re.findall(r"^FROM\s+(\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert froms == [f"apache/airflow:{pinned}-python3.11"]


def test_dockerfile_installs_the_pins_and_the_package():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"COPY .*requirements\.txt constraints\.txt", text)
    install = re.search(r"^RUN pip install (?:\\\n|.)*", text, re.M).group(0)
    assert "--no-cache-dir" in install and '"apache-airflow==${AIRFLOW_VERSION}"' in install
    assert re.search(r"-r \S*requirements\.txt -c \S*constraints\.txt", install)
    assert re.search(r"^USER airflow$", text[: text.index(install)], re.M), "pip runs as the airflow user"
    assert re.search(r"^COPY .*ioc_pipeline/ /opt/airflow/ioc_pipeline/$", text, re.M)
    assert re.search(r"^ENV PYTHONPATH=/opt/airflow$", text, re.M)


def test_dockerignore_keeps_secrets_and_state_out_of_the_image():
    lines = [l.strip() for l in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
             if l.strip() and not l.startswith("#")]
    assert lines[0] == "*", "exclude everything, then allow what the Dockerfile copies"
    allowed = {l[1:] for l in lines if l.startswith("!")}
    assert allowed == {"requirements.txt", "constraints.txt", "ioc_pipeline"}
    copied = set(re.findall(r"^COPY (?:--\S+ )*(.+) \S+$", DOCKERFILE.read_text(encoding="utf-8"), re.M))
    sources = {s.rstrip("/") for group in copied for s in group.split()}
    assert sources == allowed


# ---- the real thing, when the docker CLI and its compose plugin are installed ----------------------


def docker_compose() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone and subprocess.run([standalone, "version"], capture_output=True).returncode == 0:
        return [standalone]
    return None


def test_docker_compose_config(tmp_path):
    command = docker_compose()
    if command is None:
        pytest.skip("docker CLI with the compose plugin is not installed")
    env_file = tmp_path / ".env"
    shutil.copy(ENV_EXAMPLE, env_file)
    clean_env = {k: v for k, v in os.environ.items() if k not in env_example()}
    base = [*command, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE)]
    for profiles in ([], ["--profile", "demo", "--profile", "debug", "--profile", "flower"]):
        ok = subprocess.run([*base, "--env-file", str(env_file), *profiles, "config", "-q"],
                            capture_output=True, text=True, env=clean_env)
        assert ok.returncode == 0, ok.stderr
    empty = tmp_path / "empty.env"
    empty.write_text("")
    missing = subprocess.run([*base, "--env-file", str(empty), "config", "-q"],
                             capture_output=True, text=True, env=clean_env)
    assert missing.returncode != 0 and "AIRFLOW_METADATA_DB_PASSWORD" in missing.stderr + missing.stdout
