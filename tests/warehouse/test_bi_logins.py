"""Logins for the BI tool and auditors (`python -m ioc_pipeline create-login`), as a reader would use them.

The project's PostgreSQL trusts local TCP connections, where any password is accepted; a password
test there proves nothing. So this module starts a throwaway server of its own (the machine's
`initdb`/`pg_ctl`), whose TCP logins need their SCRAM password and which logs every statement,
bootstraps a warehouse in it, and then logs in over TCP as a person would:

- an `ioc_reader` login reads marts and nothing else (raw, staging, intermediate, dq, audit);
- an `auditor` login reads marts, dq and audit, not raw, staging or intermediate;
- the wrong password is refused; running the command again changes the password and the role;
- the session defaults (Vietnam time zone, read-only) are in force at login;
- the password is never on the command line, in the command's output or in the server's log;
- roles the command did not make (a superuser, the reader roles themselves) are never changed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.warehouse.bootstrap import bootstrap
from ioc_pipeline.warehouse.locate import WarehouseUrl

PASSWORD = "Mật-khẩu dài 2024 " + uuid.uuid4().hex[:8]  # non-ASCII and a space: quoted nowhere


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """A throwaway cluster: local socket trusted (the owner), TCP by SCRAM password only, every
    statement logged. Yields (admin WarehouseUrl of a bootstrapped warehouse, TCP port, log file)."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("initdb/pg_ctl not found (PostgreSQL server binaries)")
    run_as: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="ioc_scram_"))  # short: a socket path has a length limit
    if os.geteuid() == 0:  # the server refuses to run as root: use the packaged postgres account
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres account to run a server as")
        os.chown(base, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, sock, log = base / "data", base / "sock", base / "server.log"
    port = _free_port()
    try:
        subprocess.run(run_as + ["mkdir", str(sock)], check=True)
        subprocess.run(run_as + [initdb, "-D", str(data), "-U", "postgres", "--auth-local=trust",
                                 "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-sync"],
                       check=True, capture_output=True)
        options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sock} "
                   "-c log_statement=all -c fsync=off")
        subprocess.run(run_as + [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
                       check=True, capture_output=True, timeout=60)
        admin = WarehouseUrl(f"postgresql://postgres@/ioc_warehouse?host={sock}&port={port}")
        bootstrap(admin)
        with psycopg.connect(admin.url, autocommit=True) as conn:
            # something in every schema, as the pipeline leaves it (marts: readable by default privileges)
            conn.execute("create table marts.kpi_example (month date, online_remote_rate numeric, at timestamptz)")
            conn.execute("insert into marts.kpi_example values ('2024-09-01', 0.4, '2024-09-30 17:30:00+00')")
            conn.execute("create view staging.stg_example as select 1 as x")
            conn.execute("create table intermediate.int_example (x int)")
            conn.execute("insert into audit.load_batch (source, entity, status) values ('one_stop_shop', 'dossier', 'success')")
        yield admin, port, log
    finally:
        subprocess.run(run_as + [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def create_login(admin: WarehouseUrl, *args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess:
    env = {**os.environ, config.WAREHOUSE_URL_ENV: admin.url}
    return subprocess.run([sys.executable, "-m", "ioc_pipeline", "create-login", *args],
                          input=None if password is None else password + "\n", env=env, capture_output=True,
                          text=True, cwd=config.PROJECT_ROOT, timeout=120)


def login(port: int, name: str, password: str = PASSWORD) -> psycopg.Connection:
    """Over TCP, by password, as the BI tool would (no SET ROLE, no option of ours)."""
    return psycopg.connect(host="127.0.0.1", port=port, dbname="ioc_warehouse", user=name, password=password,
                           autocommit=True)


def readable(conn: psycopg.Connection, table: str) -> bool:
    try:
        conn.execute(f"select * from {table} limit 1").fetchall()
        return True
    except psycopg.errors.InsufficientPrivilege:
        return False


TABLES = ("marts.kpi_example", "raw.one_stop_shop__dossier", "raw.quarantine", "staging.stg_example",
          "intermediate.int_example", "dq.validation_run", "dq.validation_result", "audit.load_batch")


def test_a_bi_login_reads_marts_only_with_its_password_over_tcp(server):
    admin, port, log = server
    proc = create_login(admin, "ioc_bi", "--role", "ioc_reader", "--password-stdin")
    assert proc.returncode == 0, proc.stderr
    assert "login ioc_bi created: inherits ioc_reader" in proc.stdout
    with login(port, "ioc_bi") as conn:
        assert {t: readable(conn, t) for t in TABLES} == {t: t.startswith("marts.") for t in TABLES}
        assert conn.execute("select current_user, current_setting('TimeZone'),"
                            " current_setting('default_transaction_read_only')").fetchone() == (
            "ioc_bi", "Asia/Ho_Chi_Minh", "on")
        # timestamps arrive in Vietnam time, unqualified names resolve in marts
        (at,) = conn.execute("select at from kpi_example").fetchone()
        assert at.isoformat() == "2024-10-01T00:30:00+07:00"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("create temp table t (x int)")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        login(port, "ioc_bi", "wrong password!")


def test_an_auditor_login_reads_marts_dq_and_audit_but_not_raw(server):
    admin, port, _ = server
    proc = create_login(admin, "ioc_audit_1", "--role", "auditor", "--password-stdin")
    assert proc.returncode == 0, proc.stderr
    with login(port, "ioc_audit_1") as conn:
        assert {t: readable(conn, t) for t in TABLES} == {
            t: t.split(".")[0] in ("marts", "dq", "audit") for t in TABLES}
        assert conn.execute("select count(*) from audit.load_batch").fetchone()[0] == 1


def test_running_it_again_changes_the_password_and_the_role(server):
    admin, port, _ = server
    assert create_login(admin, "ioc_bi_2", "--role", "ioc_reader", "--password-stdin").returncode == 0
    new_password = PASSWORD + " mới"
    proc = create_login(admin, "ioc_bi_2", "--role", "auditor", "--password-stdin", password=new_password)
    assert proc.returncode == 0, proc.stderr
    assert "ioc_bi_2 updated: inherits auditor" in proc.stdout and "no longer a member of ioc_reader" in proc.stdout
    with pytest.raises(psycopg.OperationalError):
        login(port, "ioc_bi_2")
    with login(port, "ioc_bi_2", new_password) as conn:
        assert readable(conn, "dq.validation_run") and not readable(conn, "raw.quarantine")
    with psycopg.connect(admin.url) as conn:
        members = conn.execute("""select array_agg(g.rolname order by g.rolname) from pg_auth_members m
                                    join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member
                                   where u.rolname = 'ioc_bi_2'""").fetchone()[0]
    assert members == ["auditor"]


def test_the_password_appears_nowhere_but_in_the_servers_verifier(server):
    admin, port, log = server
    proc = create_login(admin, "ioc_bi_3", "--role", "ioc_reader", "--password-stdin")
    assert proc.returncode == 0
    assert PASSWORD not in proc.stdout + proc.stderr
    logged = log.read_text(encoding="utf-8", errors="replace")
    assert 'create role "ioc_bi_3"' in logged.lower()  # the statement was logged...
    assert PASSWORD not in logged and PASSWORD.split()[0] not in logged  # ...without the password
    with psycopg.connect(admin.url) as conn:
        stored = conn.execute("select rolpassword from pg_authid where rolname = 'ioc_bi_3'").fetchone()[0]
    assert stored.startswith("SCRAM-SHA-256$")
    # the CLI has no way to take the password as an argument
    help_text = create_login(admin, "--help", password=None).stdout
    assert "--password-stdin" in help_text and "--password " not in help_text


def test_roles_it_did_not_make_are_refused(server):
    admin, _, _ = server
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute("create role someone_else login")
    for name, why in (("postgres", "privileges of its own"), ("someone_else", "not made by create-login"),
                      ("ioc_reader", "reserved"), ("auditor", "reserved"), ("Bad-Name", "lower-case")):
        proc = create_login(admin, name, "--role", "ioc_reader", "--password-stdin")
        assert proc.returncode != 0 and why in proc.stderr, (name, proc.stderr)
    assert "at least 12 characters" in create_login(admin, "ioc_bi_4", "--role", "ioc_reader", "--password-stdin",
                                                    password="short").stderr
    # no terminal and no --password-stdin: refused, nothing created
    proc = create_login(admin, "ioc_bi_5", "--role", "ioc_reader", password="")
    assert proc.returncode == 2 and "--password-stdin" in proc.stderr
    with psycopg.connect(admin.url) as conn:
        assert conn.execute("select count(*) from pg_roles where rolname in ('ioc_bi_4', 'ioc_bi_5')").fetchone()[0] == 0
        assert conn.execute("select rolpassword is null from pg_authid where rolname = 'someone_else'").fetchone()[0]


def test_the_reader_roles_stay_group_roles_nobody_logs_in_as(server):
    admin, _, _ = server
    with psycopg.connect(admin.url) as conn:
        rows = conn.execute("select rolname, rolcanlogin from pg_roles where rolname in ('ioc_reader', 'auditor')"
                            " order by 1").fetchall()
    assert rows == [("auditor", False), ("ioc_reader", False)]  # group roles: they hold the grants
