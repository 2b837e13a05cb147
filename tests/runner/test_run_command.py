"""The run command end to end: simulator -> Airflow DAGs -> raw -> dbt marts -> GX -> summary.

Drives `python -m ioc_pipeline run` exactly as a person or a harness would, against a real
PostgreSQL database of its own and a throwaway Airflow home (the catch-up run of tests/conftest.py,
which the report's browser tests read too), then checks the marts against counts worked out from the
simulator's own records.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal

import psycopg
import pytest

from ioc_pipeline.config import VN
from ioc_pipeline.sources.formats import parse_source_datetime
from tests.conftest import CATCH_UP_FROM, CATCH_UP_TO, run_command, scalar

FROM, TO = CATCH_UP_FROM, CATCH_UP_TO
PERSONAL_FIELDS = ("ChuHoSo", "SoDinhDanh", "SoDienThoai")


# Tables that report the pipeline's own attempts (like audit.load_batch, they must change with
# every run: last attempt time, rows loaded by the latest run), not the data.
ATTEMPT_REPORTS = ("marts.source_status",)


def snapshot(url) -> dict[str, str]:
    """A digest of every row of every data table the pipeline builds (raw, marts), to compare runs."""
    digests = {}
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            """select table_schema || '.' || table_name from information_schema.tables
                where table_schema in ('raw', 'marts') and table_schema || '.' || table_name <> all(%s)
                order by 1""", (list(ATTEMPT_REPORTS),)).fetchall()
        for (table,) in tables:
            digests[table] = conn.execute(
                f"select count(*) || ':' || coalesce(md5(string_agg(t::text, '|' order by t::text)), '') "
                f"from {table} t").fetchone()[0]
    return digests


@pytest.fixture(scope="module")
def first_run(catch_up_run):
    """The first run over the interval (shared with the report's browser tests, tests/conftest.py)."""
    return catch_up_run


@pytest.fixture(scope="module")
def simulated_records():
    from ioc_simulator.server import SimulatorServer

    return SimulatorServer(as_of=datetime(2025, 1, 1, tzinfo=VN)).records


def test_run_succeeds_and_prints_the_summary(first_run):
    _, airflow_home, proc = first_run
    assert proc.returncode == 0, proc.stdout + proc.stderr[-5000:]
    out = proc.stdout
    assert "one_stop_shop.dossier" in out and "dvc_portal.department" in out
    assert "Data quality: pass" in out
    assert "Data-quality report: " in out and "Result: OK" in out
    docs = airflow_home / "dbt_docs" / "index.html"
    assert f"dbt documentation (models, columns, KPI formulas): {docs}" in out
    assert "kpi_online_rate_monthly" in docs.read_text(encoding="utf-8")
    report = airflow_home / "reports" / "breakthroughs" / "index.html"
    assert f"Leaders' monthly report: {report}" in out and report.is_file()


def _expected_online_counts(records, month: date) -> tuple[int, int, int]:
    """Accepted, online, online-remote dossiers accepted in `month`, straight from the source records."""
    counts = Counter()
    for r in records:
        if not r.get("NgayTiepNhan") or r["TrangThaiHoSo"] in (1, 3):
            continue
        accepted = parse_source_datetime(r["NgayTiepNhan"])
        if (accepted.year, accepted.month) != (month.year, month.month):
            continue
        counts["accepted"] += 1
        if r.get("KenhThucHien") == 2:
            counts["online"] += 1
            if r.get("NoiNopHoSo") in (1, None):
                counts["remote"] += 1
    return counts["accepted"], counts["online"], counts["remote"]


def test_online_rate_of_september_matches_the_simulator(first_run, simulated_records):
    url, _, _ = first_run
    accepted, online, remote = _expected_online_counts(simulated_records, date(2024, 9, 1))
    # Worked out from the simulator's September 2024 records (seed 2024, whole province): 44
    # accepted, of which 33 online (KenhThucHien = 2), of which 31 keyed in by the applicant
    # (NoiNopHoSo 1 or null): 31 / 44 = 0.7045 >= 0.65, so September meets its target.
    assert (accepted, online, remote) == (44, 33, 31)
    with psycopg.connect(url.url) as conn:
        row = conn.execute(
            """select dossiers_accepted, dossiers_online, dossiers_online_remote, online_rate,
                      online_remote_rate, target_rate, meets_target
                 from marts.kpi_online_rate_monthly
                where month = date '2024-09-01' and scope = 'province'""").fetchone()
    assert row[:3] == (accepted, online, remote)
    assert float(row[3]) == pytest.approx(online / accepted)
    assert float(row[4]) == pytest.approx(remote / accepted)
    assert float(row[5]) == 0.65
    assert row[6] == (remote / accepted >= 0.65)


def test_every_dossier_counted_once_and_levels_add_up(first_run, simulated_records):
    url, _, _ = first_run
    with psycopg.connect(url.url) as conn:
        assert scalar(conn, "select count(*) from marts.fct_dossier") == len(simulated_records)
        # A dossier whose agency had no version in force on its acceptance day has no level
        # (docs/contracts/marts.md): it counts in the province, in no level.
        unleveled = dict(conn.execute(
            """select date_trunc('month', accepted_at at time zone 'Asia/Ho_Chi_Minh')::date, count(*)
                 from marts.fct_dossier where is_accepted and agency_level is null group by 1""").fetchall())
        sums = conn.execute(
            """select p.month, p.dossiers_accepted, l.s from marts.kpi_online_rate_monthly p
                 join (select month, sum(dossiers_accepted) s from marts.kpi_online_rate_monthly
                        where scope = 'level' group by month) l using (month)
                where p.scope = 'province'""").fetchall()
    assert sums and [(m, p) for m, p, s in sums if p != s + unleveled.get(m, 0)] == []


def test_second_run_of_the_same_interval_changes_nothing(first_run):
    url, airflow_home, proc = first_run
    assert proc.returncode == 0
    before = snapshot(url.url)
    again = run_command(url, airflow_home, "--from", FROM, "--to", TO)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert snapshot(url.url) == before
    with psycopg.connect(url.url) as conn:
        runs = conn.execute(
            """select run_label, source, count(*), sum(rows_loaded), bool_and(status = 'success')
                 from audit.load_batch group by run_label, source order by min(batch_id)""").fetchall()
        status = {row[0]: row[1:] for row in conn.execute(
            "select source, last_status, rows_loaded_last_success, is_fresh from marts.source_status")}
    first_label = runs[0][0]
    first = {source: rest for label, source, *rest in runs if label == first_label}
    second = {source: rest for label, source, *rest in runs if label != first_label}
    # Only the attempt log grows. The APIs were asked again: as many batches, all successful, nothing
    # new loaded. The operators' inbox held no new workbook, so nothing was attempted for them.
    assert set(first) == {"one_stop_shop", "dvc_portal", "operator_viettel", "operator_vnpt"}
    assert set(second) == {"one_stop_shop", "dvc_portal"}
    for source, (batches, loaded, ok) in second.items():
        assert (batches, loaded, ok) == (first[source][0], 0, True)
        assert status[source] == ("success", 0, True)
    for source in ("operator_viettel", "operator_vnpt"):
        assert status[source] == ("success", first[source][1], True)


def test_ioc_reader_reads_marts_but_not_raw(first_run):
    url, _, _ = first_run
    with psycopg.connect(url.url, autocommit=True) as conn:
        conn.execute("set role ioc_reader")
        assert scalar(conn, "select count(*) from marts.fct_dossier") > 0
        for table in ("raw.one_stop_shop__dossier", "raw.quarantine", "staging.stg_one_stop_shop__dossiers",
                      "audit.load_batch", "dq.validation_run"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {table} limit 1")
        conn.execute("reset role")
        conn.execute("set role auditor")
        assert scalar(conn, "select count(*) from dq.validation_run") >= 1
        assert scalar(conn, "select count(*) from audit.load_batch") >= 2
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select 1 from raw.one_stop_shop__dossier limit 1")


def test_marts_hold_no_name_id_number_or_phone(first_run, simulated_records):
    url, _, _ = first_run
    personal = {str(r[f]) for r in simulated_records for f in PERSONAL_FIELDS if r.get(f)}
    assert personal
    with psycopg.connect(url.url) as conn:
        columns = conn.execute(
            """select table_name, column_name from information_schema.columns
                where table_schema in ('marts', 'dq', 'audit')""").fetchall()
        for table, column in columns:
            assert column.lower() not in ("chuhoso", "sodinhdanh", "sodienthoai", "applicant_name", "phone")
        schema_of = dict(conn.execute(
            """select table_name, table_schema from information_schema.tables
                where table_schema in ('marts', 'dq', 'audit')""").fetchall())
        leaked = []
        for table, column in columns:
            values = conn.execute(
                f'select distinct "{column}"::text from {schema_of[table]}."{table}" where "{column}" is not null'
            ).fetchall()
            leaked += [(table, column, v) for (v,) in values if v in personal]
    assert leaked == []


def _effective_due(record) -> datetime | None:
    """docs/contracts/marts.md: the latest non-null NgayHenTraMoi among the supplement requests, else NgayHenTra."""
    requests_with_new_date = [s for s in record.get("DanhSachHoSoBoSung") or [] if s.get("NgayHenTraMoi")]
    if requests_with_new_date:
        latest = max(requests_with_new_date, key=lambda s: parse_source_datetime(s["NgayBoSung"]))
        return parse_source_datetime(latest["NgayHenTraMoi"])
    return parse_source_datetime(record["NgayHenTra"]) if record.get("NgayHenTra") else None


def _expected_finished(records, month: date) -> dict[str, int]:
    """Dossiers finished (9/10) in `month` with a due date, by timeliness, from the source records."""
    counts = Counter()
    for r in records:
        if r["TrangThaiHoSo"] not in (9, 10) or not r.get("NgayKetThucXuLy"):
            continue
        finished = parse_source_datetime(r["NgayKetThucXuLy"])
        due = _effective_due(r)
        if (finished.year, finished.month) != (month.year, month.month) or due is None:
            continue
        if finished.date() < due.date():
            counts["early"] += 1
        elif finished > due:
            counts["late"] += 1
        else:
            counts["on_time"] += 1
    return counts


@pytest.mark.parametrize("month", [date(2024, 9, 1), date(2024, 10, 1)])
def test_timeliness_of_finished_dossiers_matches_the_simulator(first_run, simulated_records, month):
    """September spans the 2/9 holiday (2-3 Sep 2024 off): the simulator sets due dates on the
    working calendar, the marts classify against them."""
    url, _, _ = first_run
    expected = _expected_finished(simulated_records, month)
    with psycopg.connect(url.url) as conn:
        row = conn.execute(
            """select finished, finished_early, finished_on_time, finished_late
                 from marts.kpi_timeliness_monthly
                where month = %s and scope = 'province'""", (month,)).fetchone()
    assert sum(expected.values()) > 0
    assert row == (sum(expected.values()), expected["early"], expected["on_time"], expected["late"])


def test_5g_and_2g_marts_match_the_operators_ground_truth(first_run):
    from ioc_simulator.operators import ground_truth

    url, _, _ = first_run
    with psycopg.connect(url.url) as conn:
        five_g = {(m, op): n for m, op, n in conn.execute(
            "select month, operator, stations_5g_on_air from marts.kpi_5g_monthly where report_received")}
        two_g = {(m, op): (n, only, total) for m, op, n, only, total in conn.execute(
            """select month, operator, stations_2g_on_air, subscribers_2g_only, subscribers_total
                 from marts.kpi_2g_monthly where report_received""")}
    for month in (date(2024, 9, 1), date(2024, 12, 1)):
        truth = {op: ground_truth(op, month) for op in ("viettel", "vnpt")}
        for op, t in truth.items():
            assert five_g[(month, op)] == t.stations_5g_on_air
            assert two_g[(month, op)] == (t.stations_2g_on_air, t.subscribers_2g_only, t.subscribers_total)
        assert five_g[(month, "all")] == sum(t.stations_5g_on_air for t in truth.values())
    # The plan of December 2024: Viettel 140 (met), VNPT 60 (the simulated VNPT is behind).
    assert five_g[(date(2024, 12, 1), "viettel")] >= 140 > five_g[(date(2024, 12, 1), "all")] - 60


def test_the_scorecard_lines_up_each_breakthrough_with_its_plan(first_run):
    url, _, _ = first_run
    with psycopg.connect(url.url) as conn:
        rows = {(m, code): (actual, target, status) for m, code, actual, target, status in conn.execute(
            "select month, indicator_code, actual, target, status from marts.breakthrough_scorecard")}
        online_sep = scalar(conn, """select online_remote_rate from marts.kpi_online_rate_monthly
                                      where month = '2024-09-01' and scope = 'province'""")
        viettel_dec = scalar(conn, """select stations_5g_on_air from marts.kpi_5g_monthly
                                       where month = '2024-12-01' and operator = 'viettel'""")
    target = Decimal("0.65")
    assert rows[(date(2024, 9, 1), "b3_online_remote_rate")] == (online_sep, target,
                                                                 "dat" if online_sep >= target else "chua_dat")
    assert rows[(date(2024, 12, 1), "b2_5g_on_air_viettel")] == (viettel_dec, 140, "dat")
    assert rows[(date(2024, 7, 1), "b3_online_remote_rate")][2] == "khong_co_chi_tieu"
    # The decision's period target (>= 65% online remote from July to September 2024) is a row of its
    # own beside the monthly ones (it was missing: fix of the review of 28/6/2024).
    assert {code for (_, code) in rows} == {
        "b1_sources_integrated", "b1_overdue_dossiers", "b2_5g_on_air_all", "b2_5g_on_air_viettel",
        "b2_5g_on_air_vnpt", "b2_2g_only_share", "b3_online_remote_rate", "b3_online_remote_rate_jul_sep_2024",
        # issue 13: the agencies' monthly reports, repeat applicants moving online, fee-reduced procedures
        "b1_agency_reports_on_time", "b3_repeat_applicants_online_remote", "b3_fee_reduced_online_remote_rate"}


def test_watchlist_matches_the_open_dossiers_of_the_simulator(first_run, simulated_records):
    """As of the run's as-of day (2025-01-01, a holiday): open, accepted, not waiting (5/6);
    overdue when the due day is before it, at risk when 0..2 working days remain."""
    from ioc_pipeline.workcalendar import working_days_between

    url, _, _ = first_run
    as_of = date(2025, 1, 1)
    expected = {}
    for r in simulated_records:
        open_ = r.get("NgayTiepNhan") and r["TrangThaiHoSo"] not in (1, 3, 7, 8, 9, 10)
        due = _effective_due(r)
        if not open_ or r["TrangThaiHoSo"] in (5, 6) or due is None:
            continue
        remaining = working_days_between(as_of, due.date())
        if due.date() < as_of:
            expected[r["MaHoSo"]] = ("overdue", remaining)
        elif 0 <= remaining <= 2:
            expected[r["MaHoSo"]] = ("at_risk", remaining)
    with psycopg.connect(url.url) as conn:
        found = {code: (risk, remaining) for code, risk, remaining in conn.execute(
            "select dossier_code, risk, working_days_remaining from marts.dossier_watchlist")}
        as_of_dates = {d for (d,) in conn.execute("select distinct as_of_date from marts.dossier_watchlist")}
    assert expected and found == expected
    assert as_of_dates == {as_of}


def test_index_766_keeps_the_portals_numbers_and_nulls(first_run, simulated_records):
    from ioc_simulator.server import SimulatorServer

    url, _, _ = first_run
    index = SimulatorServer(as_of=datetime(2025, 1, 1, tzinfo=VN)).portal_index
    agency = "000.00.13.H03"
    expected = {}
    for group in ("transparency", "progress", "online", "payment", "digitization", "satisfaction"):
        code, data, _ = index.answer(group, {"timeType": "month", "year": 2024, "month": 9,
                                             "departmentCode": agency})
        assert code == "OK"
        for m in data["metrics"]:
            expected[(group, m["code"])] = (m["numerator"], m["denominator"], m["score"], m["maxScore"])
    with psycopg.connect(url.url) as conn:
        found = {(g, c): (n, d, s, mx) for g, c, n, d, s, mx in conn.execute(
            """select indicator_group, metric_code, numerator, denominator, score, max_score
                 from marts.index_766_monthly where month = '2024-09-01' and agency_code = %s""", (agency,))}
    assert set(found) == set(expected)
    for key, (n, d, s, mx) in expected.items():
        got = found[key]
        assert [None if v is None else float(v) for v in got] == [None if v is None else float(v)
                                                                 for v in (n, d, s, mx)], key
    assert any(v is None for row in expected.values() for v in row)  # nulls arrive as nulls


def test_bts_stations_and_agency_versions_match_their_sources(first_run):
    from ioc_simulator.operators import station_rows
    from ioc_simulator.world import AGENCIES, PROCEDURES

    url, _, _ = first_run
    with psycopg.connect(url.url) as conn:
        per_operator = dict(conn.execute(
            "select operator, count(*) from marts.bts_station where report_month = '2024-12-01' group by 1"))
        procedures = dict(conn.execute("select procedure_code, processing_time from marts.dim_procedure"))
        versions = scalar(conn, "select count(*) from marts.dim_agency")
        current = scalar(conn, "select count(*) from marts.dim_agency where is_current")
    for operator in ("viettel", "vnpt"):
        rows = station_rows(operator, date(2024, 12, 1))
        assert per_operator[operator] == len({(r.station_code, r.technology) for r in rows})
    assert versions == len(AGENCIES)
    assert procedures == {p["code"]: p["processingTime"] for p in PROCEDURES}
    as_of = date(2025, 1, 1)
    assert current == sum(1 for a in AGENCIES if date.fromisoformat(a["validFrom"]) <= as_of
                          and (a["validTo"] is None or as_of <= date.fromisoformat(a["validTo"])))
