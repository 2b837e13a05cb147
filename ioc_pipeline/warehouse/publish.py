"""Publishing the marts atomically: readers see the previous complete set until a new one is complete
and checked.

Why: a build killed half way used to leave 2 of the 13 marts of the time rebuilt and the rest stale (or missing), and the BI
tool read that mixture. Now dbt builds the marts in schema `marts_build` (dbt var `marts_schema`,
readable by the owner only) and, once the build and the data-quality checks of the run passed,
`publish_marts` moves every mart of the contract (the models of the dbt manifest whose folder schema is
`marts`) into `marts` in ONE transaction:

1. a transaction-level advisory lock (one publication at a time), then ACCESS EXCLUSIVE locks on the
   new tables in `marts_build` (a concurrent build cannot replace one under us);
2. refusal, before anything changes, when `marts_build` lacks a mart (an incomplete set) or when the
   run did not pass: a dbt node of the run in error, a mart the run did not build (or a later build
   replaced), data-quality checks that failed or did not run;
3. ACCESS EXCLUSIVE locks on the published tables, one by one with a short `lock_timeout`, so a BI query
   in progress makes the publication wait (and retry) instead of queueing every other reader behind it
   for ever; after `wait_seconds` it gives up and the previous set stays;
4. views (and materialized views) outside the set that depend on a published mart are dropped and
   re-created from their definitions, owners, grants and comments (a view binds to the table it was
   created on, not to its name);
5. the previous tables are dropped (an incremental mart's is kept, see below), the new ones moved
   with `alter table ... set schema marts` (no copy: their indexes, constraints, comments and grants
   move with them), `select` granted again to `ioc_reader` and `auditor` (the default privileges of
   `marts` only cover tables *created* there);
6. a row in `audit.marts_publication`, then commit: a reader's next statement sees the whole new set;
   a statement that was waiting for a lock sees it too (PostgreSQL resolves the name again once it
   gets the lock).

Incremental marts (issue 14: `fct_dossier`, one row per dossier, 10 M rows after the merger, was
rebuilt from every dossier each night only because publication leaves `marts_build` empty): the
table a publication replaces is not dropped when the manifest says the mart is `incremental`; it is
moved into `marts_previous` (owner only, like `marts_build`; the readers' grants revoked), one
publication behind. Before the next build, `reuse_previous_marts` moves it back into `marts_build`,
where dbt finds an existing table and merges only what changed since that table was built (the
model's own watermark, so two nights of changes). A build that finds no previous table, or runs
`--full-refresh`, builds it in full, as before. Costs one more copy of such a mart on disk.

A refused or failed attempt is recorded as well (status `refused` / `failed`, with its reason) and
raises `PublishRefused` / `PublishFailed`; `marts` is untouched. Publishing a run that is already
published changes nothing (re-running the task, or the command, is safe).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from ioc_pipeline import config

log = logging.getLogger(__name__)

PUBLISHED_SCHEMA = "marts"
BUILD_SCHEMA = "marts_build"
PREVIOUS_SCHEMA = "marts_previous"  # the replaced table of each incremental mart, for the next build
READER_ROLES = ("ioc_reader", "auditor")
MANIFEST = config.DBT_PROJECT_DIR / "target" / "manifest.json"
# One lock attempt on a published mart waits this long: a BI query started before it finishes first,
# while the readers that arrive meanwhile queue behind the publication for at most this long.
LOCK_TIMEOUT_SECONDS = 2.0
# How long a publication keeps retrying before it gives up (the previous set stays published).
DEFAULT_WAIT_SECONDS = 300.0
PUBLISH_LOCK = "ioc_pipeline.publish_marts"
FAILED_DBT_STATUSES = ("error", "fail", "runtime error")


class PublishRefused(Exception):
    """The new set is not complete or did not pass its checks: nothing was published."""


class PublishFailed(Exception):
    """The publication could not be done (a reader held a mart too long, an error): nothing changed."""


@dataclass
class Publication:
    status: str  # published / refused / failed
    run_label: str | None
    marts: list[str] = field(default_factory=list)
    reason: str | None = None
    publication_id: int | None = None
    lock_wait_seconds: float = 0.0
    already: bool = False  # the run was published before: nothing changed this time


def _mart_nodes(manifest_path: Path | str) -> dict[str, dict]:
    """The manifest's node of every mart of the contract, by relation name (one read of the manifest)."""
    path = Path(manifest_path)
    if not path.is_file():
        raise PublishFailed(f"no dbt manifest at {path}: run `python -m ioc_pipeline dbt-parse` first")
    nodes = json.loads(path.read_text(encoding="utf-8"))["nodes"]
    marts = {}
    for unique_id, node in nodes.items():
        cfg = node.get("config") or {}
        if node.get("resource_type") == "model" and cfg.get("schema") == PUBLISHED_SCHEMA \
                and cfg.get("enabled", True):
            marts[node.get("alias") or node["name"]] = {**node, "unique_id": unique_id}
    if not marts:
        raise PublishFailed(f"the dbt manifest {path} names no mart (no model with schema '{PUBLISHED_SCHEMA}')")
    return dict(sorted(marts.items()))


def contract_marts(manifest_path: Path | str = MANIFEST) -> dict[str, str]:
    """The marts of the contract: relation name -> dbt unique id of every enabled model whose folder
    schema is `marts` (whatever `marts_schema` the manifest was parsed with)."""
    return {name: node["unique_id"] for name, node in _mart_nodes(manifest_path).items()}


def _incremental(nodes: dict[str, dict]) -> set[str]:
    return {name for name, node in nodes.items() if (node.get("config") or {}).get("materialized") == "incremental"}


def incremental_marts(manifest_path: Path | str = MANIFEST) -> set[str]:
    """The marts of the contract that dbt builds incrementally (config materialized = incremental):
    publication keeps the table it replaces for the next build (see the module's docstring)."""
    return _incremental(_mart_nodes(manifest_path))


# format_type() spellings of the data types the contracts write in their short form
_TYPE_SPELLINGS = {"timestamptz": "timestamp with time zone", "timestamp": "timestamp without time zone",
                   "int": "integer", "int4": "integer", "int8": "bigint", "bool": "boolean",
                   "float8": "double precision", "varchar": "character varying"}


_NOT_NULL = {"not_null", "primary_key"}  # contract constraints that make PostgreSQL refuse a null


def _contract_columns(node: dict) -> list[tuple[str, str, bool]]:
    """(column, data type, not null) of a mart's node as its enforced contract creates the table."""
    columns = [(column["name"], (column.get("data_type") or "").strip().lower(),
                any(c.get("type") in _NOT_NULL for c in column.get("constraints") or []))
               for column in (node.get("columns") or {}).values()]
    return [(column, _TYPE_SPELLINGS.get(data_type, data_type), not_null) for column, data_type, not_null in columns]


def _table_columns(conn: psycopg.Connection, schema: str, name: str) -> list[tuple[str, str, bool]]:
    return conn.execute(
        """select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull from pg_attribute a
            where a.attrelid = %s::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum""",
        (f"{sql.Identifier(schema, name).as_string(conn)}",)).fetchall()


def reuse_previous_marts(warehouse_url: str, manifest_path: Path | str = MANIFEST) -> list[str]:
    """Before a build: move each table publication kept in `marts_previous` into `marts_build`, so the
    build's incremental marts start from it. Returns the tables moved.

    A kept table whose columns are not those of the mart's contract in the manifest (an upgrade changed
    them, their types or their not-null constraints: the model would refuse new columns
    (`on_schema_change: fail`) and a merge would not add a constraint), or that is no incremental mart any more,
    is dropped: the build makes the mart afresh. A table already in `marts_build` (left by a build that
    was not published: it is newer) stays, and the kept one waits for the next publication to replace
    it. Takes the publication lock: never during a publication. The manifest is read only when a table
    is kept (a new warehouse, before its first publication, needs none)."""
    moved, dropped = [], []
    with psycopg.connect(warehouse_url) as conn, conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (PUBLISH_LOCK,))
        kept = [name for (name,) in conn.execute(
            """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = %s and c.relkind in ('r', 'p') order by c.relname""", (PREVIOUS_SCHEMA,))]
        if not kept:
            return []
        nodes = _mart_nodes(manifest_path)
        incremental = _incremental(nodes)
        building = _tables_in(conn, BUILD_SCHEMA, kept)
        for name in kept:
            if name in building:
                continue
            if name in incremental and _table_columns(conn, PREVIOUS_SCHEMA, name) == _contract_columns(nodes[name]):
                _move_tables(conn, [name], PREVIOUS_SCHEMA, BUILD_SCHEMA)
                moved.append(name)
            else:
                conn.execute(sql.SQL("drop table {}").format(sql.Identifier(PREVIOUS_SCHEMA, name)))
                dropped.append(name)
    if moved:
        log.info("the build starts from the previously published %s (moved from %s into %s)",
                 ", ".join(moved), PREVIOUS_SCHEMA, BUILD_SCHEMA)
    if dropped:
        log.info("dropped %s from %s: not an incremental mart of the manifest, or its columns are not the "
                 "contract's any more (the build makes it afresh)", ", ".join(dropped), PREVIOUS_SCHEMA)
    return moved


def _move_tables(conn: psycopg.Connection, names: list[str], source: str, target: str) -> None:
    """`alter table ... set schema`: no copy; indexes, constraints, comments and grants move along."""
    for name in names:
        conn.execute(sql.SQL("alter table {} set schema {}").format(
            sql.Identifier(source, name), sql.Identifier(target)))


def _tables_in(conn: psycopg.Connection, schema: str, names: list[str]) -> set[str]:
    return {name for (name,) in conn.execute(
        """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = %s and c.relkind in ('r', 'p') and c.relname = any(%s)""", (schema, names))}


def build_problems(conn: psycopg.Connection, run_label: str, marts: dict[str, str]) -> list[str]:
    """Why the build of `run_label` must not be published (empty: it passed).

    Read from the warehouse's own records: the latest result of each dbt node of the run
    (`audit.dbt_node_run`, a retried node counts by its last try), and its latest data-quality
    verdict (`dq.validation_run`)."""
    problems = []
    failed = [f"{node} ({status})" for node, status in conn.execute(
        """select node_id, status from (
               select distinct on (node_id) node_id, status from audit.dbt_node_run
                where run_label = %s order by node_id, finished_at desc) latest
            where status = any(%s) order by node_id""", (run_label, list(FAILED_DBT_STATUSES)))]
    if failed:
        problems.append(f"the dbt build of run {run_label} has {len(failed)} node(s) in error: "
                        + ", ".join(failed[:5]) + (" ..." if len(failed) > 5 else ""))
    latest = dict(conn.execute(
        """select distinct on (node_id) node_id, coalesce(run_label, '(a dbt run without label)')
             from audit.dbt_node_run where node_id = any(%s) and status = 'success'
            order by node_id, finished_at desc""", (list(marts.values()),)).fetchall())
    built = {node for (node,) in conn.execute(
        """select distinct node_id from audit.dbt_node_run
            where run_label = %s and node_id = any(%s) and status = 'success'""",
        (run_label, list(marts.values())))}
    not_built = [name for name, node in marts.items() if node not in built]
    if not_built:
        problems.append(f"run {run_label} did not build {len(not_built)} of {len(marts)} marts: "
                        + ", ".join(not_built))
    replaced = [f"{name} (by {latest[node]})" for name, node in marts.items()
                if node in built and latest.get(node) not in (None, run_label)]
    if replaced:
        problems.append(f"a later build replaced marts of run {run_label}: " + ", ".join(replaced))
    # The checks of the marts built (layers `marts` and `reconciliation`; a run's raw checks per batch
    # gate their own loads): at least one ran, none failed critically.
    checks, failed_runs = conn.execute(
        """select count(*), array_agg(validation_run_id order by validation_run_id) filter (where status = 'fail')
             from dq.validation_run where run_label = %s and layer in ('marts', 'reconciliation')""",
        (run_label,)).fetchone()
    if not checks:
        problems.append(f"the data-quality checks did not run for run {run_label}")
    elif failed_runs:
        problems.append(f"critical data-quality checks failed for run {run_label} "
                        f"(dq.validation_run {', '.join(map(str, failed_runs))})")
    return problems


@dataclass
class _View:
    oid: int
    schema: str
    name: str
    kind: str  # 'v' view, 'm' materialized view
    depth: int
    definition: str
    owner: str
    options: list[str]
    comment: str | None
    grants: list[tuple[str, str]]  # (grantee or PUBLIC, privilege)
    indexes: list[str]


def dependent_views(conn: psycopg.Connection, tables: list[str]) -> list[_View]:
    """Views and materialized views that read one of `tables` (schema-qualified), directly or through
    another view, shallowest first. Definitions are taken with every name schema-qualified."""
    if not tables:
        return []
    rows = conn.execute(
        """with recursive dep(oid, depth) as (
               select r.ev_class, 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
                where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
                  and d.refobjid = any(%s::regclass[]) and r.ev_class <> d.refobjid
               union
               select r.ev_class, dep.depth + 1 from dep
                 join pg_depend d on d.refobjid = dep.oid and d.refclassid = 'pg_class'::regclass
                 join pg_rewrite r on r.oid = d.objid and d.classid = 'pg_rewrite'::regclass
                where r.ev_class <> dep.oid and dep.depth < 50)
           select c.oid, n.nspname, c.relname, c.relkind, max(dep.depth) as depth,
                  pg_get_viewdef(c.oid), pg_get_userbyid(c.relowner), coalesce(c.reloptions, '{}'),
                  obj_description(c.oid, 'pg_class'),
                  coalesce((select array_agg(array[case when a.grantee = 0 then 'PUBLIC'
                                                         else quote_ident(pg_get_userbyid(a.grantee)) end,
                                                    a.privilege_type])
                              from aclexplode(c.relacl) a where a.grantee <> c.relowner), '{}'),
                  coalesce((select array_agg(pg_get_indexdef(i.indexrelid)) from pg_index i
                             where i.indrelid = c.oid), '{}')
             from dep join pg_class c on c.oid = dep.oid join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('v', 'm')
            group by c.oid, n.nspname, c.relname, c.relkind
            order by depth, n.nspname, c.relname""", (tables,)).fetchall()
    return [_View(oid, schema, name, kind, depth, definition, owner, list(options), comment,
                  [tuple(g) for g in grants], list(indexes))
            for oid, schema, name, kind, depth, definition, owner, options, comment, grants, indexes in rows]


def _drop_view(conn: psycopg.Connection, view: _View) -> None:
    kind = "materialized view" if view.kind == "m" else "view"
    conn.execute(sql.SQL("drop {} {}.{}").format(sql.SQL(kind), sql.Identifier(view.schema),
                                                 sql.Identifier(view.name)))


def _create_view(conn: psycopg.Connection, view: _View) -> None:
    name = sql.SQL("{}.{}").format(sql.Identifier(view.schema), sql.Identifier(view.name))
    kind = sql.SQL("materialized view" if view.kind == "m" else "view")
    options = sql.SQL(" with ({})").format(sql.SQL(", ".join(view.options))) if view.options else sql.SQL("")
    conn.execute(sql.SQL("create {} {}{} as {}").format(kind, name, options,
                                                         sql.SQL(view.definition.rstrip().rstrip(";"))))
    conn.execute(sql.SQL("alter {} {} owner to {}").format(kind, name, sql.Identifier(view.owner)))
    for grantee, privilege in view.grants:
        conn.execute(sql.SQL("grant {} on {} to {}").format(sql.SQL(privilege), name, sql.SQL(grantee)))
    if view.comment is not None:
        conn.execute(sql.SQL("comment on {} {} is {}").format(kind, name, sql.Literal(view.comment)))
    for index in view.indexes:
        conn.execute(sql.SQL(index))


def _record(conn: psycopg.Connection, pub: Publication) -> int:
    return conn.execute(
        """insert into audit.marts_publication (run_label, published_at, status, marts_count, marts, reason,
                                                lock_wait_seconds)
           values (%s, case when %s = 'published' then now() end, %s, %s, %s, %s, %s)
           returning publication_id""",
        (pub.run_label, pub.status, pub.status, len(pub.marts), pub.marts, pub.reason,
         round(pub.lock_wait_seconds, 3))).fetchone()[0]


def _record_apart(url: str, pub: Publication) -> Publication:
    with psycopg.connect(url, autocommit=True) as conn:
        pub.publication_id = _record(conn, pub)
    return pub


class _LockWait(Exception):
    def __init__(self, table: str):
        super().__init__(table)
        self.table = table


def _try_publish(conn: psycopg.Connection, run_label: str | None, marts: dict[str, str], check_build: bool,
                 lock_timeout: float, waited: float, incremental: set[str] = frozenset()) -> Publication:
    """One attempt, in the caller's transaction; raises _LockWait when a published mart stays locked."""
    names = list(marts)
    conn.execute("set local search_path = pg_catalog")  # view definitions come out schema-qualified
    conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (PUBLISH_LOCK,))
    building = _tables_in(conn, BUILD_SCHEMA, names)
    if not building and run_label is not None:
        done = conn.execute(
            """select publication_id, marts from audit.marts_publication
                where run_label = %s and status = 'published' order by publication_id desc limit 1""",
            (run_label,)).fetchone()
        if done and _tables_in(conn, PUBLISHED_SCHEMA, names) == set(names):
            return Publication("published", run_label, list(done[1]), "already published", done[0], already=True)
    missing = [name for name in names if name not in building]
    if not missing:  # a concurrent build cannot replace a table of the set from now on
        conn.execute(sql.SQL("lock table {} in access exclusive mode").format(sql.SQL(", ").join(
            sql.Identifier(BUILD_SCHEMA, name) for name in names)))
    problems = build_problems(conn, run_label, marts) if check_build else []
    if missing:
        problems.append(f"{BUILD_SCHEMA} holds {len(building)} of the {len(names)} marts "
                        f"(missing: {', '.join(missing)}): the set is incomplete")
    if problems:
        return Publication("refused", run_label, [], "; ".join(problems) + "; the previous marts stay published")
    conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(f"{int(lock_timeout * 1000)}ms")))
    published = sorted(_tables_in(conn, PUBLISHED_SCHEMA, names))
    for name in published:
        try:
            conn.execute(sql.SQL("lock table {} in access exclusive mode").format(
                sql.Identifier(PUBLISHED_SCHEMA, name)))
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            raise _LockWait(f"{PUBLISHED_SCHEMA}.{name}") from None
    conn.execute("set local lock_timeout = 0")
    views = dependent_views(conn, [f"{PUBLISHED_SCHEMA}.{name}" for name in published])
    for view in reversed(views):
        _drop_view(conn, view)
    kept = [name for name in published if name in incremental]
    dropped = [name for name in published if name not in incremental]
    if dropped:
        conn.execute(sql.SQL("drop table {}").format(sql.SQL(", ").join(
            sql.Identifier(PUBLISHED_SCHEMA, name) for name in dropped)))
    if kept:  # the next build starts from these (reuse_previous_marts); an older kept one is replaced
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(PREVIOUS_SCHEMA)))
        conn.execute(sql.SQL("drop table if exists {}").format(sql.SQL(", ").join(
            sql.Identifier(PREVIOUS_SCHEMA, name) for name in kept)))
        _move_tables(conn, kept, PUBLISHED_SCHEMA, PREVIOUS_SCHEMA)
        conn.execute(sql.SQL("revoke all on {} from {}").format(
            sql.SQL(", ").join(sql.Identifier(PREVIOUS_SCHEMA, name) for name in kept),
            sql.SQL(", ").join(sql.Identifier(role) for role in READER_ROLES)))
    _move_tables(conn, names, BUILD_SCHEMA, PUBLISHED_SCHEMA)
    conn.execute(sql.SQL("grant select on {} to {}").format(
        sql.SQL(", ").join(sql.Identifier(PUBLISHED_SCHEMA, name) for name in names),
        sql.SQL(", ").join(sql.Identifier(role) for role in READER_ROLES)))
    for view in views:
        _create_view(conn, view)
    pub = Publication("published", run_label, names, f"{len(views)} dependent view(s) re-created" if views else None,
                      lock_wait_seconds=waited)
    pub.publication_id = _record(conn, pub)
    return pub


def publish_marts(warehouse_url: str, run_label: str | None, *, manifest_path: Path | str = MANIFEST,
                  check_build: bool = True, wait_seconds: float = DEFAULT_WAIT_SECONDS,
                  lock_timeout: float = LOCK_TIMEOUT_SECONDS) -> Publication:
    """Move the complete, checked set of marts from `marts_build` into `marts` in one transaction.

    Args:
        warehouse_url: libpq URL of the warehouse (the pipeline's own role: it owns both schemas).
        run_label: the run whose build is published (its dbt node results and data-quality verdict
            are checked when `check_build`); recorded in `audit.marts_publication`.
        check_build: False publishes a complete `marts_build` without looking at the run's results
            (for tests and for a data engineer who checked the set otherwise).
        wait_seconds: how long to keep retrying while readers hold a published mart.
        lock_timeout: how long one attempt waits for one mart's lock.

    Returns the `Publication` (status `published`); raises `PublishRefused` (incomplete set, a build
    that did not pass) or `PublishFailed` (could not take the locks in time, an error). Either way the
    attempt is recorded and `marts` is left as it was.
    """
    if check_build and not run_label:
        raise ValueError("a run label is needed to check the build (or pass check_build=False)")
    nodes = _mart_nodes(manifest_path)
    marts = {name: node["unique_id"] for name, node in nodes.items()}
    incremental = _incremental(nodes)
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        waited = time.monotonic() - started
        try:
            with psycopg.connect(warehouse_url) as conn:
                with conn.transaction():
                    pub = _try_publish(conn, run_label, marts, check_build, lock_timeout, waited, incremental)
                    if pub.status != "published":
                        raise _Refusal(pub)
        except _Refusal as refusal:
            pub = _record_apart(warehouse_url, refusal.pub)
            log.error("marts not published: %s", pub.reason)
            raise PublishRefused(pub.reason) from None
        except _LockWait as busy:
            waited = time.monotonic() - started
            if waited + lock_timeout > wait_seconds:
                pub = _record_apart(warehouse_url, Publication(
                    "failed", run_label, [], f"{busy.table} stayed in use by a reader for {waited:.0f}s "
                    f"({attempt} attempts); the previous marts stay published", lock_wait_seconds=waited))
                log.error("marts not published: %s", pub.reason)
                raise PublishFailed(pub.reason) from None
            log.info("%s is in use by a reader; publication attempt %d waits and retries", busy.table, attempt)
            time.sleep(min(1.0 * attempt, 5.0))
            continue
        except (PublishRefused, PublishFailed):
            raise
        except psycopg.Error as error:
            pub = _record_apart(warehouse_url, Publication(
                "failed", run_label, [], f"{type(error).__name__}: {error}".strip()[:2000]
                + "; the previous marts stay published", lock_wait_seconds=time.monotonic() - started))
            log.error("marts not published: %s", pub.reason)
            raise PublishFailed(pub.reason) from error
        if pub.already:
            log.info("run %s was already published (audit.marts_publication %s): nothing to do", run_label,
                     pub.publication_id)
        else:
            log.info("published %d marts of run %s into %s (audit.marts_publication %s, waited %.1fs for readers)",
                     len(pub.marts), run_label, PUBLISHED_SCHEMA, pub.publication_id, pub.lock_wait_seconds)
        return pub


class _Refusal(Exception):
    def __init__(self, pub: Publication):
        super().__init__(pub.reason)
        self.pub = pub


def latest_publications(conn: psycopg.Connection, limit: int = 20) -> list[dict]:
    """The latest rows of `audit.marts_publication`, newest first."""
    cur = conn.execute(
        """select publication_id, run_label, attempted_at, published_at, status, marts_count, reason,
                  lock_wait_seconds
             from audit.marts_publication order by publication_id desc limit %s""", (limit,))
    names = [c.name for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def latest_checked_run(warehouse_url: str) -> str | None:
    """The run label of the latest data-quality checkpoint run (the build a data engineer most likely
    means to publish)."""
    with psycopg.connect(warehouse_url) as conn:
        row = conn.execute("""select run_label from dq.validation_run where run_label is not null and layer = 'marts'
                               order by validation_run_id desc limit 1""").fetchone()
    return row[0] if row else None
