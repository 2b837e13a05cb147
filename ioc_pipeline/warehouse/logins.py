"""Login roles for the readers of the warehouse: the IOC's BI tool and auditors.

`ioc_reader` and `auditor` are group roles (NOLOGIN, `sql/00_schemas_and_roles.sql`): they hold the
grants, nobody logs in as them. A person or a tool gets a login of its own that inherits one of
them (`python -m ioc_pipeline create-login NAME --role ioc_reader|auditor --password-stdin`), so
each reader can be told apart in `pg_stat_activity` and revoked alone (`DROP ROLE name`).

What a login gets, and why:

- membership of exactly one reader role, with INHERIT, so its queries need no `SET ROLE`; it is
  never a superuser and cannot create roles or databases;
- session defaults a BI tool would otherwise get wrong: `TimeZone = Asia/Ho_Chi_Minh` (the marts'
  timestamps are `timestamptz`: they show in Vietnam time without any conversion),
  `default_transaction_read_only = on`, and a `search_path` of the schemas it may read;
- a password sent to the server only as a SCRAM-SHA-256 verifier computed here (libpq's
  `PQencryptPasswordConn`, what psql's `\\password` does): the clear password never appears in a
  SQL statement, so not in the server's statement log either, nor on a command line.

Idempotent: running it again updates the password, the membership (switching `--role` revokes the
other reader role) and the defaults. It only ever changes roles it made: an existing role without
its mark (the role's comment) or with any privilege of its own is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ioc_pipeline import config

# reader role -> the schemas it may read (its login's search_path)
READER_ROLES = {"ioc_reader": ("marts",), "auditor": ("marts", "dq", "audit")}
MARK = "IOC reader login made by `python -m ioc_pipeline create-login`"
NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MIN_PASSWORD_LENGTH = 12


class LoginError(ValueError):
    """The login cannot be created or changed as asked (the message says why)."""


@dataclass
class LoginResult:
    name: str
    role: str
    created: bool
    revoked: list[str]


def create_login(warehouse_url: str, name: str, role: str, password: str) -> LoginResult:
    """Create or update login `name` inheriting `role` (`ioc_reader` or `auditor`), with `password`."""
    if role not in READER_ROLES:
        raise LoginError(f"--role must be one of {', '.join(READER_ROLES)}, not {role!r}")
    if not NAME_PATTERN.match(name):
        raise LoginError(f"login name {name!r}: lower-case letters, digits and _, starting with a letter or _")
    if name in READER_ROLES or name.startswith("pg_"):
        raise LoginError(f"{name!r} is a reserved role name")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise LoginError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if any(ch in password for ch in "\r\n\0"):
        raise LoginError("the password must be one line")

    with psycopg.connect(warehouse_url) as conn:
        missing = [r for r in READER_ROLES
                   if conn.execute("select 1 from pg_roles where rolname = %s", (r,)).fetchone() is None]
        if missing:
            raise LoginError(f"role(s) {', '.join(missing)} missing: run `python -m ioc_pipeline bootstrap` first")
        existing = conn.execute(
            """select rolsuper or rolcreaterole or rolcreatedb or rolreplication or rolbypassrls,
                      shobj_description(oid, 'pg_authid'), rolname = current_user
                 from pg_roles where rolname = %s""", (name,)).fetchone()
        if existing is not None:
            privileged, comment, is_me = existing
            if is_me or privileged:
                raise LoginError(f"role {name!r} exists with privileges of its own: refusing to change it")
            if not (comment or "").startswith(MARK):
                raise LoginError(f"role {name!r} exists and was not made by create-login: refusing to change it")

        # The verifier, never the password, goes into SQL.
        verifier = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
        login = sql.Identifier(name)
        attributes = sql.SQL("login inherit nosuperuser nocreatedb nocreaterole noreplication nobypassrls "
                             "password {}").format(sql.Literal(verifier))
        if existing is None:
            conn.execute(sql.SQL("create role {} {}").format(login, attributes))
        else:
            conn.execute(sql.SQL("alter role {} {}").format(login, attributes))
        revoked = []
        for other in READER_ROLES:
            if other == role:
                continue
            member = conn.execute("select pg_has_role(%s, %s, 'member')", (name, other)).fetchone()[0]
            if member:
                conn.execute(sql.SQL("revoke {} from {}").format(sql.Identifier(other), login))
                revoked.append(other)
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(role), login))
        search_path = sql.SQL(", ").join(sql.Identifier(s) for s in READER_ROLES[role])
        for setting in (sql.SQL("timezone = {}").format(sql.Literal(config.VN_TZ)),
                        sql.SQL("default_transaction_read_only = on"),
                        sql.SQL("search_path = {}").format(search_path)):
            conn.execute(sql.SQL("alter role {} set {}").format(login, setting))
        conn.execute(sql.SQL("comment on role {} is {}").format(
            login, sql.Literal(f"{MARK}: inherits {role}")))
    return LoginResult(name=name, role=role, created=existing is None, revoked=revoked)
