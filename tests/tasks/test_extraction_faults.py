"""Extraction under the simulator's remaining faults: slow replies, records changing while pages are
read, codes no catalog knows, and the extracting process dying in the middle of its COPY.

Same style as tests/tasks/test_extraction.py: real HTTP against `SimulatorServer`, a real PostgreSQL
database per test (`make_database`); expected numbers are worked out from the simulator's own records
and `server.damaged`.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta

import pytest

from ioc_pipeline import config
from ioc_pipeline.sources.http import HttpEndpoint
from ioc_pipeline.tasks.dossiers import DEFAULT_OVERLAP, extract_dossiers, extraction_window, watermark
from ioc_pipeline.tasks.portal import extract_departments, extract_formalities
from ioc_simulator.dossiers import read_served_time
from ioc_simulator.faults import UNKNOWN_AGENCY_CODE, UNKNOWN_PROCEDURE_CODE, Faults
from ioc_simulator.server import SimulatorServer
from ioc_pipeline.config import VN
from ioc_pipeline.sources.http import RetryPolicy
from tests.conftest import batch_row, scalar

START = datetime(2024, 7, 1, tzinfo=VN)
END = datetime(2025, 1, 1, tzinfo=VN)
FAST = RetryPolicy(max_attempts=4, backoff_initial=0.05, backoff_max=0.2)
# A client that gives up on a reply after half a second (production: 60 s).
IMPATIENT = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2, timeout=0.5)


def _served_in(records, lo: datetime, hi: datetime) -> list[dict]:
    lo, hi = (m.astimezone(VN).replace(tzinfo=None) for m in (lo, hi))
    return [r for r in records if lo <= read_served_time(r["NgayCapNhat"]) < hi]


# --- slow replies ------------------------------------------------------------------------------------


def test_a_reply_slower_than_the_timeout_is_retried_and_the_batch_succeeds(fresh, caplog):
    url, conn = fresh
    # The 2nd request to the API answers only after 2 s: the client stops waiting at 0.5 s and asks again.
    with SimulatorServer(faults=Faults(slow_on_request={2: 2.0})) as server:
        served = len(server.records)
        with caplog.at_level(logging.WARNING, logger="ioc_pipeline.sources.http"):
            started = time.monotonic()
            result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END,
                                      page_size=100, policy=IMPATIENT)
            elapsed = time.monotonic() - started
    assert result.status == "success", result.error
    assert (result.counts.received, result.counts.loaded, result.counts.duplicate) == (served, served, 0)
    assert scalar(conn, "select count(distinct dossier_code) from raw.one_stop_shop__dossier") == served
    timeouts = [r.getMessage() for r in caplog.records if "Read timed out" in r.getMessage()]
    assert len(timeouts) == 1 and timeouts[0].startswith("attempt 1 failed")
    assert elapsed < 2.0  # it did not sit out the slow reply


def test_a_source_slower_than_the_timeout_on_every_attempt_fails_the_batch_and_loads_nothing(fresh):
    url, conn = fresh
    with SimulatorServer(faults=Faults(slow_reply_seconds=1.0, unreadable_dates=1)) as server:
        result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END,
                                  page_size=100, policy=IMPATIENT)
        requests_made = server.hoso_requests
    assert result.status == "failed"
    assert result.error.startswith("ReadTimeout") and "Read timed out. (read timeout=0.5)" in result.error
    assert requests_made == IMPATIENT.max_attempts  # first page, tried 3 times, never answered in time
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0
    assert scalar(conn, "select count(*) from raw.quarantine") == 0
    batch = batch_row(conn, result.batch_id)
    assert batch["status"] == "failed" and "Read timed out" in batch["error"] and batch["finished_at"]
    assert batch["rows_received"] == 0


# --- records changing while the pages are read ------------------------------------------------------


def test_records_changing_during_paging_are_caught_by_the_next_overlapping_interval(fresh):
    """The nightly pattern: interval 1 ends at 23:00 on 31 December; the source's "now" is 1 January
    00:00, so a dossier that changes while interval 1 is paged moves out of it (NgayCapNhat = now).
    Interval 2 starts at the watermark minus the overlap. After both, raw holds every served dossier in
    its latest version, each distinct version once.

    Worked out: the client reads page 1 (to learn `total`), then the pages from the last down to the
    first. Every request for a page after the first makes K = 2 dossiers of the earlier pages change
    (the simulator takes the earliest ones, which sit on page 1), so with N pages 2(N − 1) dossiers
    leave interval 1 before page 1 is read again: they are missed by pass 1. Each removal shifts the
    later records two places forward, so the pages N−1..2 each start with 2 records already read on
    the page after them: seen twice, stored once (2(N − 2) duplicates). Nothing unchanged is skipped.
    """
    url, conn = fresh
    k, page_size = 2, 100
    first_end = datetime(2024, 12, 31, 23, tzinfo=VN)
    with SimulatorServer(faults=Faults(change_during_paging=k)) as server:
        as_of = server.as_of.replace(tzinfo=VN)
        assert as_of == END
        endpoint = HttpEndpoint.from_uri(server.dossier_conn_uri)
        in_first = _served_in(server.records, START, first_end)
        pages = math.ceil(len(in_first) / page_size)
        assert len(server.records) == 440 and pages == 5

        first = extract_dossiers(url.url, endpoint, START, first_end, page_size=page_size, policy=FAST)
        changed = list(server.damaged["changed_during_paging"])
        assert first.status == "success", first.error
        assert len(changed) == k * (pages - 1)
        assert set(changed) <= {r["MaHoSo"] for r in in_first[:page_size]}
        assert first.counts.loaded == len(in_first) - len(changed)
        assert first.counts.duplicate == k * (pages - 2)
        seen = {code for (code,) in conn.execute("select dossier_code from raw.one_stop_shop__dossier")}
        assert seen == {r["MaHoSo"] for r in in_first} - set(changed)  # only the changed ones are missed

        # The next night: from the stored watermark minus the overlap margin.
        mark = watermark(url.url, "one_stop_shop", "dossier")
        assert mark == first_end
        lo, hi = extraction_window(first_end, END + timedelta(days=1), None, mark)
        assert lo == first_end - DEFAULT_OVERLAP
        second = extract_dossiers(url.url, endpoint, lo, hi, page_size=page_size, policy=FAST)
        assert second.status == "success", second.error
        late = _served_in(server.records, first_end, END)  # changed in the last hour, unchanged since
        overlap = _served_in(server.records, lo, first_end)
        assert second.counts.received == len(overlap) + len(late) + len(changed)
        assert second.counts.loaded == len(late) + len(changed)  # the overlap was already there

    latest = dict(conn.execute(
        """select distinct on (dossier_code) dossier_code, source_updated_at from raw.one_stop_shop__dossier
            order by dossier_code, source_updated_at desc""").fetchall())
    expected = {r["MaHoSo"]: read_served_time(r["NgayCapNhat"]).replace(tzinfo=VN) for r in server.records}
    expected.update(dict.fromkeys(changed, as_of))
    assert latest == expected
    versions = scalar(conn, "select count(*) from raw.one_stop_shop__dossier")
    assert versions == len(server.records)  # a changed dossier missed in pass 1 has only its new version


# --- codes no catalog knows ---------------------------------------------------------------------------


def test_unknown_agency_and_procedure_codes_are_kept_and_reach_the_marts(fresh, tmp_path):
    """Such a record is readable, so it is loaded, not quarantined: the catalogs may simply be behind
    the one-stop shop. In the marts the dossier keeps its code; dim lookups give null
    (`agency_version_key`, `agency_level`), and the relationships test on `agency_version_key` ignores
    nulls, so the build passes. The dossier counts in the province scope of the online rate (and in
    its own agency scope), not in any level scope."""
    url, conn = fresh
    n = 4
    with SimulatorServer(faults=Faults(unknown_agency_codes=n, unknown_procedure_codes=n)) as server:
        result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END, policy=FAST)
        portal = HttpEndpoint.from_uri(server.portal_conn_uri)
        assert extract_departments(url.url, portal, policy=FAST).status == "success"
        assert extract_formalities(url.url, portal, policy=FAST).status == "success"
        served = len(server.records)
        unknown_agency = set(server.damaged["unknown_agency_codes"])
        unknown_procedure = set(server.damaged["unknown_procedure_codes"])
    assert len(unknown_agency) == len(unknown_procedure) == n
    assert result.status == "success" and (result.counts.loaded, result.counts.quarantined) == (served, 0)
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier where payload->>'MaDonViTiepNhan' = %s",
                  UNKNOWN_AGENCY_CODE) == n
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier where payload->>'MaTTHC' = %s",
                  UNKNOWN_PROCEDURE_CODE) == n

    env = {**os.environ, **config.QUIET_ENV, **url.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
           "DO_NOT_TRACK": "1"}
    build = subprocess.run(
        [str(config.PROJECT_ROOT / ".venv" / "bin" / "dbt") if (config.PROJECT_ROOT / ".venv/bin/dbt").exists()
         else "dbt", "build", "--project-dir", str(config.DBT_PROJECT_DIR),
         "--profiles-dir", str(config.DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--no-use-colors"],
        env=env, capture_output=True, text=True, timeout=900, cwd=config.DBT_PROJECT_DIR)
    assert build.returncode == 0, f"dbt build failed:\n{build.stdout[-8000:]}\n{build.stderr[-2000:]}"
    assert "ERROR=0" in build.stdout
    (tmp_path / "dbt_build.out").write_text(build.stdout)
    # The relationships test of the dossier's agency_version_key (fct_dossier's, made in
    # int_dossiers_classified) -> the agency versions (dim_agency's) passes (it is not even a
    # warning): the unknown agency has no version key (null), and relationships tests skip nulls.
    relationships = [line for line in build.stdout.splitlines()
                     if "relationships_int_dossiers_classified_agency_version_key" in line and " START " not in line]
    assert relationships and all("PASS" in line for line in relationships), relationships

    rows = conn.execute(
        """select dossier_code, agency_code, procedure_code, agency_version_key, agency_level, is_accepted,
                  to_char(accepted_at at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-01')::date
             from marts.fct_dossier where dossier_code = any(%s)""",
        (sorted(unknown_agency | unknown_procedure),)).fetchall()
    by_code = {r[0]: r for r in rows}
    assert set(by_code) == unknown_agency | unknown_procedure
    for code in unknown_agency:
        assert by_code[code][1] == UNKNOWN_AGENCY_CODE
        assert by_code[code][3] is None and by_code[code][4] is None  # no agency version, no level
    for code in unknown_procedure:
        assert by_code[code][2] == UNKNOWN_PROCEDURE_CODE
    assert scalar(conn, "select count(*) from marts.fct_dossier") == served

    # Province scope counts every accepted dossier, the unknown agency's included.
    province = dict(conn.execute(
        "select month, dossiers_accepted from marts.kpi_online_rate_monthly where scope = 'province'").fetchall())
    accepted = dict(conn.execute(
        """select date_trunc('month', accepted_at at time zone 'Asia/Ho_Chi_Minh')::date, count(*)
             from marts.fct_dossier where is_accepted group by 1""").fetchall())
    assert {m: c for m, c in province.items() if c} == accepted
    unknown_accepted = [r for r in rows if r[0] in unknown_agency and r[5]]
    assert unknown_accepted, "no dossier with the unknown agency was accepted: pick another n"
    for _, _, _, _, _, _, month in unknown_accepted:
        in_scope = scalar(conn, """select dossiers_accepted from marts.kpi_online_rate_monthly
                                    where scope = 'agency' and scope_code = %s and month = %s""",
                          UNKNOWN_AGENCY_CODE, month)
        assert in_scope >= 1
    # No level for them, nor for the simulator's own dossier accepted after its agency's version ended.
    level_total = scalar(conn, "select sum(dossiers_accepted) from marts.kpi_online_rate_monthly where scope = 'level'")
    unleveled = scalar(conn, "select count(*) from marts.fct_dossier where is_accepted and agency_level is null")
    others = conn.execute(
        """select agency_code, agency_version_key from marts.fct_dossier
            where is_accepted and agency_level is null and agency_code <> %s""", (UNKNOWN_AGENCY_CODE,)).fetchall()
    assert unleveled == len(unknown_accepted) + len(others)
    assert all(version is None for _, version in others)  # known agencies with no version in force that day
    assert level_total == sum(accepted.values()) - unleveled


# --- the extracting process dies in the middle of its COPY --------------------------------------------

_CHILD = textwrap.dedent("""
    import sys
    from datetime import datetime
    from ioc_pipeline.sources.http import HttpEndpoint
    from ioc_pipeline.tasks.dossiers import extract_dossiers
    from ioc_pipeline.config import VN
    from ioc_pipeline.sources.http import RetryPolicy
    url, uri = sys.argv[1], sys.argv[2]
    extract_dossiers(url, HttpEndpoint.from_uri(uri), datetime(2024, 7, 1, tzinfo=VN),
                     datetime(2025, 1, 1, tzinfo=VN), page_size=100, policy=RetryPolicy(timeout=120))
""")


def test_a_load_killed_in_the_middle_of_its_copy_leaves_nothing_but_a_running_audit_row(fresh):
    """kill -9 of the extracting process while its COPY is open (pages already streamed into it, the
    next page hanging in a slow reply): PostgreSQL sees the connection drop and rolls the transaction
    back. Raw and quarantine hold nothing of it; `audit.load_batch` keeps the row `start_batch`
    committed, with status `running` and no `finished_at`, for ever: nobody was left to finish it.
    So a `running` batch whose `started_at` is older than the longest plausible batch (hours: a
    year-long catch-up of a million dossiers takes minutes) is a dead attempt, not one in progress."""
    url, conn = fresh
    # Pages 1 and 2 come at once (with quarantinable records among them); the 3rd request hangs.
    faults = Faults(slow_on_request={3: 30.0}, unreadable_dates=3)
    with SimulatorServer(faults=faults) as server:
        child = subprocess.Popen([sys.executable, "-c", _CHILD, url.url, server.dossier_conn_uri],
                                 cwd=config.PROJECT_ROOT, env={**os.environ, **config.QUIET_ENV},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            copying = None
            while time.monotonic() < deadline and child.poll() is None:
                copying = conn.execute(
                    """select pid from pg_stat_activity
                        where datname = current_database() and pid <> pg_backend_pid()
                          and query ilike 'copy pg_temp.incoming%%'""").fetchone()
                if copying and server.hoso_requests >= 3:
                    break
                time.sleep(0.05)
            assert child.poll() is None, child.communicate()
            assert copying and server.hoso_requests >= 3, "the child never reached its COPY"
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == -signal.SIGKILL
    # Its server backend notices the dropped connection and aborts the transaction.
    deadline = time.monotonic() + 30
    while scalar(conn, "select count(*) from pg_stat_activity where pid = %s", copying[0]) and \
            time.monotonic() < deadline:
        time.sleep(0.05)
    assert scalar(conn, "select count(*) from pg_stat_activity where pid = %s", copying[0]) == 0
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0
    assert scalar(conn, "select count(*) from raw.quarantine") == 0
    rows = conn.execute("select status, finished_at, rows_received, error from audit.load_batch").fetchall()
    assert rows == [("running", None, 0, None)]
