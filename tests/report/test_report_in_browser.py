"""The leaders' report and the auditors' page, opened in headless Chromium.

One populated warehouse: the run command over the second half of 2024, as a person would run it
(the catch-up run of tests/conftest.py, shared with tests/runner/test_run_command.py, which reads it
after these tests). The pages checked closely are September and October 2024 (the month of the 65%
target and the first month of the 70% one); the watchlist is on the latest month. The pages are
written from it, opened in Chromium, and what the browser shows is compared with the marts and the
dq tables, read here with SQL of their own (the expected text is formatted here too, not by the
report's code). Screenshots land in reports/ci-artifacts/ (git-ignored).
"""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest

from ioc_pipeline import config
from tests.conftest import CATCH_UP_TO
from tests.report.browser import parse, visit

AS_OF = date.fromisoformat(CATCH_UP_TO)  # the run's as-of day: the end of its interval
LATEST = date(2024, 12, 1)  # the latest month with data, where the watchlist is shown
ARTIFACTS = config.REPORTS_DIR / "ci-artifacts"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
ANY_URL = re.compile(r"(?i)\b(?:https?|ftp|wss?):|(?:src|href)\s*=\s*[\"']?//")


def expected_pct(rate) -> str:
    """0.674418... -> '67,4%' (one decimal, half up, decimal comma)."""
    value = (Decimal(str(rate)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}".replace(".", ",") + "%"


def expected_int(value) -> str:
    return f"{int(value):,}".replace(",", ".")


@pytest.fixture(scope="module")
def warehouse_run(catch_up_run):
    """(url, home) of the catch-up run, which passed; its summary is kept in home/summary.txt."""
    url, home, proc = catch_up_run
    assert proc.returncode == 0, proc.stdout + proc.stderr[-5000:]
    (home / "summary.txt").write_text(proc.stdout, encoding="utf-8")
    return url.url, home


@pytest.fixture(scope="module")
def pages(warehouse_run, tmp_path_factory):
    from ioc_pipeline.report import write_auditors_page, write_reports

    url, _ = warehouse_run
    out = tmp_path_factory.mktemp("reports")
    auditors = write_auditors_page(url, out / "auditors")
    index = write_reports(url, out / "breakthroughs")
    return url, index, auditors


def marts(url: str, sql: str, *params) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def assert_offline(html: str, visit_) -> None:
    """Nothing in the file points off the machine, and the browser requested nothing."""
    assert not ANY_URL.search(html), ANY_URL.search(html)
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    assert visit_.page_requests == []


def test_the_network_check_sees_a_page_that_loads_from_a_cdn(tmp_path):
    """The check below is only worth something if it catches a real request: a control page."""
    page = tmp_path / "cdn.html"
    page.write_text('<!doctype html><img src="https://cdn.example.org/logo.png">'
                    '<script src="http://cdn.example.org/vega.js"></script>', encoding="utf-8")
    seen = visit(page)
    assert sorted(seen.page_requests) == ["http://cdn.example.org/vega.js", "https://cdn.example.org/logo.png"]
    assert ANY_URL.search(page.read_text(encoding="utf-8"))


def test_the_index_lists_every_month_with_data(pages):
    url, index, _ = pages
    months = [m for (m,) in marts(url, """select distinct month from marts.breakthrough_scorecard
                                          where actual is not null and indicator_code <> 'b1_sources_integrated'
                                          order by 1""")]
    # September and October, and earlier months too: dossiers accepted before the interval and
    # changed during it are extracted with it.
    assert {date(2024, 9, 1), date(2024, 10, 1)} <= set(months)
    html = index.read_text(encoding="utf-8")
    seen = visit(index, ARTIFACTS / "breakthroughs-index.png", window=(1240, 900))
    assert_offline(html, seen)
    dom = parse(seen.dom)
    listed = [row.attrs["data-month"] for row in dom.find_all("tr") if "data-month" in row.attrs]
    assert sorted(listed) == [f"{m:%Y-%m}.html" for m in months]
    for name in listed:
        assert (index.parent / name).is_file()


@pytest.mark.parametrize("month", [date(2024, 9, 1), date(2024, 10, 1)])
def test_a_month_shows_the_marts_numbers_with_rendered_charts_offline(pages, month):
    url, index, _ = pages
    page = index.parent / f"{month:%Y-%m}.html"
    html = page.read_text(encoding="utf-8")
    seen = visit(page, ARTIFACTS / f"breakthroughs-{month:%Y-%m}.png")
    assert seen.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_offline(html, seen)
    dom = parse(seen.dom)
    assert dom.field("month") == f"Tháng {month.month}/{month.year}"

    # Breakthrough 3: the scorecard's actual, target and status, in the table and on the card.
    actual, target, status = marts(url, """select actual, target, status from marts.breakthrough_scorecard
                                           where month = %s and indicator_code = 'b3_online_remote_rate'""",
                                   month)[0]
    row = dom.find("tr", data_indicator="b3_online_remote_rate")
    assert row.field("actual") == expected_pct(actual)
    assert row.field("target") == expected_pct(target)
    assert row.field("status").endswith({"dat": "Đạt", "chua_dat": "Chưa đạt"}[status])
    card = dom.find(data_breakthrough="3")
    assert card.find(data_indicator="b3_online_remote_rate").text() == expected_pct(actual)

    # Breakthrough 2: 5G stations per operator against the plan.
    for operator, stations, plan in marts(url, """select operator, stations_5g_on_air, target
                                                  from marts.kpi_5g_monthly where month = %s""", month):
        line = dom.find("tr", data_operator=operator)
        assert line.field("stations_5g_on_air") == expected_int(stations)
        assert line.field("target") == expected_int(plan)
    assert dom.find("tr", data_indicator="b2_5g_on_air_all").field("actual") == expected_int(
        marts(url, "select stations_5g_on_air from marts.kpi_5g_monthly where month = %s and operator = 'all'",
              month)[0][0])
    for operator, only_2g, share in marts(url, """select operator, subscribers_2g_only, share_2g_only
                                                  from marts.kpi_2g_monthly where month = %s""", month):
        line = dom.find("table", id="two-g").find("tr", data_operator=operator)
        assert line.field("subscribers_2g_only") == expected_int(only_2g)
        assert line.field("share_2g_only") == expected_pct(share)

    # Agencies ranked by online-remote rate, each with its gap to the target in dossiers.
    agencies = {code: (rate, target, accepted, remote) for code, rate, target, accepted, remote in marts(
        url, """select scope_code, online_remote_rate, target_rate, dossiers_accepted, dossiers_online_remote
                  from marts.kpi_online_rate_monthly
                 where month = %s and scope = 'agency' and dossiers_accepted > 0""", month)}
    rows = dom.find("table", id="online-ranking").find_all("tr")
    shown = [r for r in rows if "data-agency" in r.attrs]
    assert {r.attrs["data-agency"] for r in shown} == set(agencies)
    rates = [agencies[r.attrs["data-agency"]][0] for r in shown]
    assert rates == sorted(rates, reverse=True)
    gaps = 0
    for r in shown:
        rate, target, accepted, remote = agencies[r.attrs["data-agency"]]
        assert r.field("online_remote_rate") == expected_pct(rate)
        needed = math.ceil(target * accepted) - remote
        assert r.field("gap") == (expected_int(needed) if needed > 0 else "—")
        gaps += needed > 0
    assert gaps > 0  # some agency is below target in both months of the simulated province

    # ... and by on-time rate.
    on_time = dict(marts(url, """select scope_code, on_time_rate from marts.kpi_timeliness_monthly
                                  where month = %s and scope = 'agency' and on_time_rate is not null""", month))
    shown = [r for r in dom.find("table", id="on-time-ranking").find_all("tr") if "data-agency" in r.attrs]
    assert {r.attrs["data-agency"]: r.field("on_time_rate") for r in shown} == {
        code: expected_pct(rate) for code, rate in on_time.items()}

    # Each source's freshness and data-quality status, times in Vietnam time.
    for source, last_success, fresh, dq in marts(url, """select source, last_success_at, is_fresh, dq_status
                                                        from marts.source_status"""):
        line = dom.find("tr", data_source=source)
        assert line.field("last_success_at") == last_success.astimezone(VN).strftime("%d/%m/%Y %H:%M")
        assert line.field("is_fresh").endswith("Kịp thời" if fresh else "Không kịp thời")
        assert line.field("dq_status").endswith({"pass": "Đạt", "warn": "Cảnh báo", "fail": "Không đạt",
                                                 None: "Chưa có kết quả"}[dq])

    # Charts: drawn SVG in the rendered document (axes, marks), not a spec waiting for a script.
    for chart in ("chart-online", "chart-5g", "chart-2g"):
        svg = dom.find("figure", id=chart).find("svg")
        assert float(svg.attrs["width"]) > 300 and float(svg.attrs["height"]) > 100
        marks = [n for n in svg.iter() if "mark-" in n.attrs.get("class", "")
                 and "role-axis" not in n.attrs.get("class", "") and n.children]
        assert marks, chart
        assert any(n.tag in ("path", "line", "rect") for m in marks for n in m.iter())
    assert "10/2024" in dom.find("figure", id="chart-online").text()


def test_the_watchlist_summary_is_on_the_latest_month(pages):
    url, index, _ = pages
    counts = {(code, risk): n for code, risk, n in marts(
        url, "select agency_code, risk, count(*) from marts.dossier_watchlist group by 1, 2")}
    (as_of,), = marts(url, "select distinct as_of_date from marts.dossier_watchlist")
    assert as_of == AS_OF and counts
    dom = parse(visit(index.parent / f"{LATEST:%Y-%m}.html").dom)
    assert dom.field("watchlist_as_of") == f"{AS_OF:%d/%m/%Y}"
    assert dom.field("watchlist_overdue") == expected_int(sum(n for (_, r), n in counts.items() if r == "overdue"))
    assert dom.field("watchlist_at_risk") == expected_int(sum(n for (_, r), n in counts.items() if r == "at_risk"))
    for row in [r for r in dom.find("table", id="watchlist").find_all("tr") if "data-agency" in r.attrs]:
        code = row.attrs["data-agency"]
        assert row.field("overdue") == expected_int(counts.get((code, "overdue"), 0))
        assert row.field("at_risk") == expected_int(counts.get((code, "at_risk"), 0))
    november = (index.parent / "2024-11.html").read_text(encoding="utf-8")
    assert 'href="2024-12.html">Tháng 12/2024</a>' in november and 'id="watchlist"' not in november


def test_the_report_reads_as_ioc_reader_which_sees_marts_only(warehouse_run):
    from ioc_pipeline.report.db import READER_ROLE, connect_as, current_role

    url, _ = warehouse_run
    with connect_as(url, READER_ROLE) as conn:
        assert current_role(conn) == "ioc_reader"
        assert conn.execute("select count(*) as n from marts.breakthrough_scorecard").fetchone()["n"] > 0
        for table in ("raw.one_stop_shop__dossier", "dq.validation_run", "audit.load_batch"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {table} limit 1")


def test_the_auditors_page_lists_every_check_of_every_run_offline(pages):
    url, _, page = pages
    # A second, failing run beside the pipeline's own (which passed), so every mark is exercised;
    # the page is written again to include it.
    with psycopg.connect(url, autocommit=True) as conn:
        run_id = conn.execute(
            """insert into dq.validation_run (run_label, checkpoint_name, suite_name, table_checked, success,
                                              status, evaluated, passed, warned, failed, report_path)
               values ('test-failing-run', 'fct_dossier_checkpoint', 'fct_dossier', 'marts.fct_dossier', false,
                       'fail', 3, 1, 1, 1, null) returning validation_run_id""").fetchone()[0]
        conn.execute(
            """insert into dq.validation_result (validation_run_id, expectation_type, column_name, severity,
                                                 success, observed_value, unexpected_count, unexpected_percent,
                                                 suite_name, table_checked)
               values (%(id)s, 'expect_column_values_to_not_be_null', 'dossier_code', 'critical', true,
                       '0 unexpected of 10 rows', 0, 0, 'fct_dossier', 'marts.fct_dossier'),
                      (%(id)s, 'expect_column_values_to_not_be_null', 'due_at', 'warning', false,
                       '4 unexpected of 10 rows', 4, 40, 'fct_dossier', 'marts.fct_dossier'),
                      (%(id)s, 'expect_column_values_to_be_unique', 'dossier_code', 'critical', false,
                       '2 unexpected of 10 rows', 2, 20, 'fct_dossier', 'marts.fct_dossier')""", {"id": run_id})
    from ioc_pipeline.report import write_auditors_page

    page = write_auditors_page(url, page.parent)
    html = page.read_text(encoding="utf-8")
    seen = visit(page, ARTIFACTS / "auditors.png")
    assert_offline(html, seen)
    dom = parse(seen.dom)

    runs = marts(url, "select validation_run_id, status, report_path from dq.validation_run")
    assert len(runs) >= 2  # one per suite of the run (raw, marts, reconciliation) + the planted one
    for run, status, report_path in runs:
        section = dom.find("section", data_run=str(run))
        expected = marts(url, """select severity, success, observed_value, unexpected_count
                                   from dq.validation_result where validation_run_id = %s order by ctid""", run)
        rows = [r for r in section.find_all("tr") if "data-check" in r.attrs]
        assert len(rows) == len(expected) > 0
        for row, (severity, success, observed, unexpected) in zip(rows, expected):
            mark = "pass" if success else ("fail" if severity == "critical" else "warn")
            assert row.attrs["data-status"] == mark
            assert row.field("status").endswith({"pass": "Đạt", "warn": "Cảnh báo", "fail": "Không đạt"}[mark])
            assert row.field("observed") == ("—" if observed is None else observed)
            assert row.field("unexpected_count") == ("—" if unexpected is None else expected_int(unexpected))
        if report_path:  # the pipeline's run: its Data Docs page, by a relative link that resolves
            links = [a.attrs["href"] for a in section.find_all("a")]
            assert links and not links[0].startswith("/")
            assert (page.parent / links[0]).resolve() == (page.parent / report_path).resolve()
    assert {r.attrs["data-status"] for r in dom.find("section", data_run=str(run_id)).find_all("tr")
            if "data-status" in r.attrs} == {"pass", "warn", "fail"}
    batches = marts(url, "select count(*) from audit.load_batch")[0][0]
    assert len([r for r in dom.find("table", id="batches").find_all("tr") if "data-batch" in r.attrs]) == batches


def test_the_run_writes_both_reports_and_its_summary_names_them(warehouse_run):
    url, home = warehouse_run
    summary = (home / "summary.txt").read_text(encoding="utf-8")
    leaders, auditors = home / "reports" / "breakthroughs" / "index.html", home / "reports" / "auditors" / "index.html"
    assert f"Leaders' monthly report: {leaders}" in summary
    assert f"Auditors' page (every check, dbt tests by run, load history): {auditors}" in summary
    assert leaders.is_file() and (leaders.parent / "2024-10.html").is_file()

    # the page the build DAG wrote: this run's dbt tests, every one with its result, under its label
    label = re.search(r"^== IOC pipeline run (\S+) ==", summary, re.M).group(1)
    tests = dict(marts(url, """select node_id, status from audit.dbt_node_run
                                where run_label = %s and resource_type in ('test', 'unit_test')""", label))
    assert len(tests) > 100 and set(tests.values()) <= {"pass", "warn"}
    html = auditors.read_text(encoding="utf-8")
    seen = visit(auditors, ARTIFACTS / "auditors-after-run.png")
    assert_offline(html, seen)
    dom = parse(seen.dom)
    section = dom.find("section", data_dbt_run=label)
    shown = {r.attrs["data-node"]: r.attrs["data-status"] for r in section.find_all("tr") if "data-node" in r.attrs}
    assert shown == {node: status for node, status in tests.items()}
    assert dom.find("tr", data_dbt_run=label).field("counts") == (
        f"{sum(s == 'pass' for s in tests.values())} / {sum(s == 'warn' for s in tests.values())} / 0 / 0")

    # the Great Expectations page it links to opens offline too
    # (this run's validation: other tests of the module add runs of their own to dq.validation_run later)
    (run_id,), = marts(url, "select max(validation_run_id) from dq.validation_run where run_label = %s", label)
    href = dom.find("section", data_run=str(run_id)).find("a").attrs["href"]
    docs_page = (auditors.parent / href).resolve()
    assert docs_page.is_file() and visit(docs_page).page_requests == []
