"""The warehouse end to end against the simulator's ground truth (ioc_simulator/truth.py), mart by mart, row
by row.

The real pipeline (`python -m ioc_pipeline run`, the Airflow DAGs, dbt, GX) runs over the default
simulated sources in three catch-up runs, the way nightly runs would leave the raw layer: extracted at
1/10/2024, 1/1/2025 and 30/4/2025, so that its raw versions hold each dossier's state at the ends of
September and December 2024 (what "the state in force at a month end" needs, issue 9 fix 9). The
operators' inbox is filled at each run with the workbooks arrived by then, with fault knobs on that
the fixes are about (fix 1: unrelated bad cells in KPI rows; fix 2: a formula cell without cached
value; fix 3: a correction whose file time is older than the first version's arrival).

After each run the marts are read and compared with the oracle as of the same instant:

| stage | run | as-of day | state served at |
| --- | --- | --- | --- |
| A | --from 2024-07-01 --to 2024-10-01 | 2024-09-30 | 2024-10-01 00:00 |
| B | --from 2024-10-01 --to 2025-01-01 | 2024-12-31 | 2025-01-01 00:00 |
| C | --from 2025-01-01 --to 2025-04-30 | 2025-04-29 | 2025-04-30 00:00 |

Open/overdue at a month end (and b1_overdue_dossiers) are compared at the month ends the pipeline
extracted at (September after A, September and December after B and C): at any other month end no
warehouse could know the state then from its raw layer.

The rows each rule fix of issue 9 decides are compared in a test of their own, named after the fix,
so that a regression of one rule names that rule; the remaining rows are compared together.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import psycopg
import pytest

from ioc_simulator import calendar as cal
from ioc_simulator.operators import VN, OperatorFaults, deliveries, fill_inbox, months_between
from ioc_simulator.truth import WorldTruth, kpi_2g_monthly, kpi_5g_monthly, local_naive, scorecard, world_truth
from tests.conftest import make_database

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Stage:
    name: str
    start: str
    end: str
    as_of_day: date
    month_ends: tuple[date, ...]   # month ends at which the pipeline has extracted by then

    @property
    def moment(self) -> datetime:
        return datetime.combine(date.fromisoformat(self.end), time())


SEP, DEC = date(2024, 9, 1), date(2024, 12, 1)
STAGES = (
    Stage("A", "2024-07-01", "2024-10-01", date(2024, 9, 30), (SEP,)),
    Stage("B", "2024-10-01", "2025-01-01", date(2024, 12, 31), (SEP, DEC)),
    Stage("C", "2025-01-01", "2025-04-30", date(2025, 4, 29), (SEP, DEC)),
)
REPORT_MONTHS = months_between(date(2024, 7, 1), date(2025, 5, 1))
OPERATOR_FAULTS = OperatorFaults.of(
    unrelated_bad_cells=[("vnpt", "202407"), ("viettel", "202410")],   # fix 1
    formula_latitude=[("viettel", "202409")],                          # fix 2
    corrected=[("viettel", "202408")], stale_mtime=[("viettel", "202408")],  # fix 3
    correction_delay=timedelta(days=30),
)
MARTS = ("kpi_online_rate_monthly", "kpi_timeliness_monthly", "dossier_watchlist", "kpi_5g_monthly",
         "kpi_2g_monthly", "breakthrough_scorecard")


def run_pipeline(url, home: Path, inbox: Path, stage: Stage) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}  # the default simulator
    env.pop("AIRFLOW_HOME", None)
    env.update(WAREHOUSE_URL=url.url, IOC_AIRFLOW_HOME=str(home), IOC_DATA_DOCS_DIR=str(home / "data_docs"),
               IOC_STATE_DIR=str(home / "state"), IOC_DBT_DOCS_DIR=str(home / "dbt_docs"),
               OPERATOR_REPORTS_INBOX=str(inbox))
    return subprocess.run(
        [sys.executable, "-m", "ioc_pipeline", "run", "--from", stage.start, "--to", stage.end,
         "--as-of", stage.as_of_day.isoformat()],
        env=env, capture_output=True, text=True, cwd=ROOT, timeout=1800)


def read_table(conn, table: str) -> list[dict]:
    cur = conn.execute(f"select * from marts.{table}")
    names = [c.name for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """stage name -> (marts as read after that stage's run, the oracle as of the same instant)."""
    url, drop = make_database("ioc_oracle_e2e")
    home, inbox = tmp_path_factory.mktemp("airflow_home"), tmp_path_factory.mktemp("operator_inbox")
    out = {}
    try:
        for stage in STAGES:
            fill_inbox(inbox, months=REPORT_MONTHS, faults=OPERATOR_FAULTS, as_of=stage.moment.replace(tzinfo=VN))
            proc = run_pipeline(url, home, inbox, stage)
            assert proc.returncode == 0, f"stage {stage.name}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            with psycopg.connect(url.url) as conn:
                conn.execute("set time zone 'Asia/Ho_Chi_Minh'")
                marts = {table: read_table(conn, table) for table in MARTS}
                marts["dim_date"] = read_table(conn, "dim_date")
                marts["raw_formula_cell"] = conn.execute(
                    """select s.station_code, s.latitude, s.problem
                         from raw.operator__station s join raw.operator__report_file f on f.sha256 = s.file_sha256
                        where f.operator = 'viettel' and f.report_month = '2024-09-01' and s.technology = '5G'
                          and s.latitude is null""").fetchall()
            out[stage.name] = (stage, marts, world_truth(as_of=stage.moment, deliveries=_delivered()))
        yield out
    finally:
        drop()


# --- comparing ------------------------------------------------------------------------------------------


def _local(value):
    return local_naive(value) if isinstance(value, datetime) else value


def same(mart, truth) -> bool:
    mart = _local(mart)
    if truth is None or mart is None:
        return truth is None and mart is None
    if isinstance(truth, bool) or isinstance(mart, bool):
        return mart is truth
    if isinstance(truth, (int, Fraction, Decimal, float)) and not isinstance(mart, str):
        return abs(Fraction(mart) - Fraction(truth)) <= Fraction(1, 10**15) * max(1, abs(Fraction(truth)))
    return mart == truth


def compare(mart_rows: dict, truth_rows: dict, columns, *, may_be_extra=lambda key, row: False) -> list[str]:
    """Row by row; returns the differences as readable lines (empty = equal)."""
    diffs = []
    for key, expected in sorted(truth_rows.items(), key=lambda kv: str(kv[0])):
        got = mart_rows.get(key)
        if got is None:
            diffs.append(f"{key}: missing from the mart (truth {', '.join(f'{c}={expected.get(c)}' for c in columns)})")
            continue
        for column in columns:
            if column in expected and not same(got[column], expected[column]):
                diffs.append(f"{key}: {column} mart={_local(got[column])} truth={expected[column]}")
    for key, row in sorted(mart_rows.items(), key=lambda kv: str(kv[0])):
        if key not in truth_rows and not may_be_extra(key, row):
            diffs.append(f"{key}: in the mart only ({', '.join(f'{c}={row.get(c)}' for c in columns)})")
    return diffs


def keyed(rows: list[dict], *names) -> dict:
    return {tuple(r[n] for n in names) if len(names) > 1 else r[names[0]]: r for r in rows}


def subset(rows: dict, keys) -> dict:
    keys = set(keys)
    return {k: v for k, v in rows.items() if k in keys}


def without(rows: dict, keys) -> dict:
    keys = set(keys)
    return {k: v for k, v in rows.items() if k not in keys}


ONLINE = ("dossiers_accepted", "dossiers_online", "dossiers_online_remote", "online_rate", "online_remote_rate",
          "target_rate", "meets_target")
FINISHED = ("finished", "finished_early", "finished_on_time", "finished_late")
AT_MONTH_END = ("open_at_month_end", "overdue_at_month_end", "on_time_rate")
WATCH = ("as_of_date", "agency_code", "agency_name", "procedure_code", "procedure_name", "accepted_at",
         "due_day", "working_days_remaining", "risk")
FIVE_G = ("stations_5g_on_air", "report_received", "target", "meets_target")
TWO_G = ("stations_2g_on_air", "subscribers_2g_only", "subscribers_total", "share_2g_only", "report_received")
SCORE = ("breakthrough", "actual", "target", "status")


# --- what each mart is compared on ----------------------------------------------------------------------


def online_diffs(marts, truth: WorldTruth, only=None, skip=()) -> list[str]:
    expected = truth.dossiers.online_rate_monthly()
    mart = keyed(marts["kpi_online_rate_monthly"], "month", "scope", "scope_code")
    if only is not None:
        expected, mart = subset(expected, only), subset(mart, only)
    expected, mart = without(expected, skip), without(mart, skip)
    # the mart may densify its grid: a row the truth lacks must hold no dossier
    return compare(mart, expected, ONLINE, may_be_extra=lambda k, r: r["dossiers_accepted"] == 0)


def timeliness_diffs(marts, stage: Stage, truth: WorldTruth, only=None, skip=()) -> list[str]:
    expected = truth.dossiers.timeliness_monthly(stage.month_ends)
    mart = keyed(marts["kpi_timeliness_monthly"], "month", "scope", "scope_code")
    if only is not None:
        expected, mart = subset(expected, only), subset(mart, only)
    expected, mart = without(expected, skip), without(mart, skip)
    asked = {k: {c: v for c, v in row.items() if c in FINISHED or row["open_at_month_end"] is not None}
             for k, row in expected.items()}

    def empty(key, row):
        at_end = key[0] in stage.month_ends
        return all(row[c] == 0 for c in FINISHED + (AT_MONTH_END[:2] if at_end else ()))

    return compare(mart, asked, FINISHED + AT_MONTH_END, may_be_extra=empty)


def watchlist_diffs(marts, stage: Stage, truth: WorldTruth, only=None, skip=()) -> list[str]:
    expected = truth.dossiers.watchlist(stage.as_of_day)
    mart = {}
    for row in marts["dossier_watchlist"]:
        due, exp = _local(row["due_at"]), expected.get(row["dossier_code"])
        day = due.date()
        # fix 7 leaves how a bare-date appointment D is stored open: D 00:00 as sent, its end, or D+1 00:00
        if exp and exp["due_as_sent"].time() == time(0) and due == datetime.combine(exp["due_day"], time()) \
                + timedelta(days=1):
            day = exp["due_day"]
        mart[row["dossier_code"]] = {**row, "due_day": day}
    if only is not None:
        expected, mart = subset(expected, only), subset(mart, only)
    expected, mart = without(expected, skip), without(mart, skip)
    return compare(mart, expected, WATCH)


def operator_truth(truth: WorldTruth, kind: str) -> dict:
    return kpi_5g_monthly(truth.reports) if kind == "5g" else kpi_2g_monthly(truth.reports)


def operator_diffs(marts, truth: WorldTruth, kind: str, only=None, skip=()) -> list[str]:
    expected = operator_truth(truth, kind)
    mart = keyed(marts[f"kpi_{kind}_monthly"], "month", "operator")
    if only is not None:
        expected, mart = subset(expected, only), subset(mart, only)
    expected, mart = without(expected, skip), without(mart, skip)
    return compare(mart, expected, FIVE_G if kind == "5g" else TWO_G)


def scorecard_truth(stage: Stage, truth: WorldTruth) -> dict:
    return scorecard(truth.dossiers, truth.reports, stage.as_of_day, month_ends=stage.month_ends)


def scorecard_diffs(marts, stage: Stage, truth: WorldTruth, only=None, skip=()) -> list[str]:
    expected = scorecard_truth(stage, truth)
    mart = keyed(marts["breakthrough_scorecard"], "month", "indicator_code")
    if only is not None:
        expected, mart = subset(expected, only), subset(mart, only)
    expected, mart = without(expected, skip), without(mart, skip)
    # b1_overdue_dossiers is known at the extracted month ends only
    return compare(mart, expected, SCORE, may_be_extra=lambda k, r: k[1] in ("b1_overdue_dossiers", "b1_agency_reports_on_time"))


# --- which rows each fix of issue 9 decides -------------------------------------------------------
#
# A row belongs to a fix when the truth's value of it rests on that fix's rule AND the data of the stage
# makes the rule bite there (so a fix's test covers exactly the rows that rule changes). Rows no fix
# decides are compared together.

FIXES = {
    1: "fix 1: a station / ThueBao row counts from code + technology + status (its counts) alone",
    2: "fix 2: a formula cell without cached value must not load as a silent NULL",
    3: "fix 3: the latest workbook version by arrival order, not file mtime",
    4: "fix 4: no agency version in force on the acceptance day -> level null, not the nearest version",
    5: "fix 5: scorecard status chua_co_so_lieu for months with no data due yet",
    6: "fix 6: the Q3 2024 cumulative B3 row (b3_online_remote_rate_jul_sep_2024)",
    7: "fix 7: an appointment at 00:00:00 means the end of that day",
    9: "fix 9: month ends use the status in force then (raw versions' history), not today's",
}
BAD_CELL_REPORTS = {(op, m) for op, m in OPERATOR_FAULTS.unrelated_bad_cells}
STALE_CORRECTIONS = {(op, m) for op, m in OPERATOR_FAULTS.stale_mtime}


@functools.cache
def _deliveries() -> tuple:
    """Every delivery of the knobs' world: (operator, month, version, arrived_at, bytes, fault)."""
    return tuple(deliveries(months=REPORT_MONTHS, faults=OPERATOR_FAULTS))


def _delivered() -> list[tuple[str, datetime, bytes]]:
    """(file name, arrival, bytes) of every delivery, what the oracle reads the operator KPIs from."""
    return [(f"{op}_{month:%Y%m}.xlsx", arrived, content) for op, month, _, arrived, content, _ in _deliveries()]


def _arrivals() -> dict[tuple[str, date, int], datetime]:
    """(operator, month, version) -> arrival, naive local time."""
    return {(op, month, version): local_naive(arrived) for op, month, version, arrived, _, _ in _deliveries()}


def _operator_rows(truth: WorldTruth, reports: set, version: int, five_g_only: bool = False) -> tuple[set, set]:
    """(kpi_5g/2g keys, scorecard keys) of the (operator, month) reports whose `version` has arrived."""
    rows, cards = set(), set()
    for operator, month in reports:
        if _arrivals()[(operator, month, version)] <= truth.as_of:
            rows |= {(month, operator), (month, "all")}
            cards |= {(month, f"b2_5g_on_air_{operator}"), (month, "b2_5g_on_air_all")}
            if not five_g_only:
                cards.add((month, "b2_2g_only_share"))
    return rows, cards


def history_dependent(stage: Stage, truth: WorldTruth) -> dict[date, set[str]]:
    """month -> dossiers whose state at that month end today's record cannot tell: a payment wait (status
    6) that has since ended, or an appointment that has changed since."""
    out = {}
    for month in stage.month_ends:
        out[month] = set()
        for code in truth.dossiers.history:
            found = truth.dossiers.at_month_end(code, month)
            if found is None:
                continue
            then, now = found[0], truth.dossiers.current[code]
            if (then.status == 6 and now.status != 6) or then.due_at != now.due_at:
                out[month].add(code)
    return out


def bare_date_flips(truth: WorldTruth) -> set[str]:
    """Finished dossiers whose class changes when a 00:00:00 appointment is read as the end of the day."""
    from dataclasses import replace

    return {code for code, state in truth.dossiers.current.items()
            if state.due_as_sent is not None and state.due_as_sent != state.due_at
            and replace(state, due_at=state.due_as_sent).timeliness != state.timeliness}


def pending(stage: Stage, truth: WorldTruth) -> dict[str, dict]:
    """mart -> row key -> the pending fixes that decide it (rows absent: decided by no pending fix)."""
    out = {m: {} for m in ("online", "timeliness", "5g", "2g", "scorecard")}

    def mark(mart, keys, fix):
        for key in keys:
            out[mart].setdefault(key, set()).add(fix)

    d = truth.dossiers
    # fix 1 and fix 3: the operators' reports with the knobs on, once they have arrived
    rows, cards = _operator_rows(truth, BAD_CELL_REPORTS, version=1)
    mark("5g", rows, 1), mark("2g", rows, 1), mark("scorecard", cards, 1)
    rows, cards = _operator_rows(truth, STALE_CORRECTIONS, version=2, five_g_only=True)  # only 5G statuses differ
    mark("5g", rows, 3), mark("scorecard", cards, 3)
    # fix 4: the level rows of the months an unversioned dossier counts in
    online_months = {d.current[c].accepted_at.date().replace(day=1) for c in d.unversioned}
    mark("online", {k for k in d.online_rate_monthly() if k[1] == "level" and k[0] in online_months}, 4)
    finished_months = {d.current[c].finished_at.date().replace(day=1) for c in d.unversioned
                       if d.current[c].timeliness is not None}
    open_months = {m for m in stage.month_ends for c in d.unversioned if d.at_month_end(c, m)}
    mark("timeliness", {k for k in d.timeliness_monthly(stage.month_ends)
                        if k[1] == "level" and k[0] in finished_months | open_months}, 4)
    # fix 7: finished dossiers whose class a bare-date appointment decides
    for code in bare_date_flips(truth):
        state = d.current[code]
        mark("timeliness", {(state.finished_at.date().replace(day=1), *scope) for scope in d.scopes(state)}, 7)
    # fix 9: month-end rows of dossiers whose state then is not today's
    for month, codes in history_dependent(stage, truth).items():
        for code in codes:
            state, _ = d.at_month_end(code, month)
            mark("timeliness", {(month, *scope) for scope in d.scopes(state)}, 9)
            mark("scorecard", {(month, "b1_overdue_dossiers")}, 9)
    # fix 5 and 6: scorecard statuses and the Q3 row
    for key, row in scorecard_truth(stage, truth).items():
        if row["status"] == "chua_co_so_lieu":
            mark("scorecard", {key}, 5)
    mark("scorecard", {(date(2024, 9, 1), "b3_online_remote_rate_jul_sep_2024")}, 6)
    return out


def rows_of(stage: Stage, truth: WorldTruth, mart: str, fix: int | None) -> tuple[set | None, set]:
    """(keys to compare or None = all, keys to leave out) for the rows `fix` decides (None: no fix)."""
    decided = pending(stage, truth)[mart]
    if fix is None:
        return None, set(decided)
    return {k for k, fixes in decided.items() if fixes == {fix}}, set()


DIFFS = {
    "online": lambda marts, stage, truth, only, skip: online_diffs(marts, truth, only, skip),
    "timeliness": timeliness_diffs,
    "5g": lambda marts, stage, truth, only, skip: operator_diffs(marts, truth, "5g", only, skip),
    "2g": lambda marts, stage, truth, only, skip: operator_diffs(marts, truth, "2g", only, skip),
    "scorecard": scorecard_diffs,
}
# (stage, mart, fix) comparisons that the data of each stage makes non-empty
PENDING = [
    ("A", "5g", 1), ("A", "2g", 1), ("A", "scorecard", 1), ("A", "scorecard", 5), ("A", "scorecard", 6),
    *((s, mart, fix) for s in ("B", "C") for mart, fix in (
        ("online", 4), ("timeliness", 4), ("timeliness", 7), ("timeliness", 9), ("5g", 1), ("5g", 3), ("2g", 1),
        ("scorecard", 1), ("scorecard", 3), ("scorecard", 6), ("scorecard", 9))),
    ("B", "scorecard", 5),
]
# After stage B the December month end is the extraction instant itself: nothing of fix 9 there yet.


@pytest.mark.parametrize("stage_name", [s.name for s in STAGES])
@pytest.mark.parametrize("mart", list(DIFFS))
def test_rows_no_pending_fix_decides_match_the_truth(runs, stage_name, mart):
    stage, marts, truth = runs[stage_name]
    _, skip = rows_of(stage, truth, mart, None)
    assert DIFFS[mart](marts, stage, truth, None, skip) == []


@pytest.mark.parametrize(("stage_name", "mart", "fix"),
                         [pytest.param(s, m, f, id=f"{s}-{m}-fix{f}") for s, m, f in PENDING])
def test_rows_a_pending_fix_decides_match_the_truth(runs, stage_name, mart, fix):
    stage, marts, truth = runs[stage_name]
    only, _ = rows_of(stage, truth, mart, fix)
    if not only:  # not an AssertionError: a real failure, never an expected one
        raise LookupError(f"no row of {mart} is decided by fix {fix} in stage {stage_name}: the world changed")
    assert DIFFS[mart](marts, stage, truth, only, set()) == []


def test_each_row_waits_for_one_fix_at_most_and_the_pending_comparisons_are_exactly_those_listed(runs):
    found = set()
    for stage, _, truth in runs.values():
        for mart, rows in pending(stage, truth).items():
            assert all(len(fixes) == 1 for fixes in rows.values()), (stage.name, mart)
            found |= {(stage.name, mart, next(iter(f))) for f in rows.values()}
    assert found == set(PENDING)


@pytest.mark.parametrize("stage_name", ["A", "B", "C"])
def test_the_watchlist_matches_the_truth(runs, stage_name):
    """Every stage's watchlist, all rows: C's holds the 2/5/2025 swap inside an at-risk window
    (000.00.31.H03-241130-0001, 2 days) and the make-up Saturday 26/4/2025 inside an overdue span
    (000.00.15.H03-241211-0001, -3); B's the bare-date appointment due on the as-of day."""
    stage, marts, truth = runs[stage_name]
    assert watchlist_diffs(marts, stage, truth) == []
    assert truth.dossiers.watchlist(stage.as_of_day)


def test_the_swap_edge_cases_are_on_the_last_watchlist(runs):
    _, marts, _ = runs["C"]
    rows = {r["dossier_code"]: (r["risk"], r["working_days_remaining"]) for r in marts["dossier_watchlist"]}
    assert rows["000.00.31.H03-241130-0001"] == ("at_risk", 2)
    assert rows["000.00.15.H03-241211-0001"] == ("overdue", -3)
    assert "000.00.17.H03-241205-0001" not in rows


@pytest.mark.parametrize("stage_name", ["B", "C"])
def test_a_formula_cell_without_cached_value_is_not_a_silent_null(runs, stage_name):
    """Viettel's September 2024 workbook has `Vĩ độ` = `=10.4+0.1` (no cached value) for one 5G station:
    raw must hold either the value or a problem for that row, never a bare NULL."""
    _, marts, _ = runs[stage_name]
    assert [row for row in marts["raw_formula_cell"] if row[2] is None] == []


def test_dim_date_agrees_with_the_hand_written_calendar_except_where_known(runs):
    """2024-2026 day by day; the one known disagreement is 24/11/2026 (see test_oracle_calendar.py)."""
    _, marts, _ = runs["C"]
    differ = {row["date"] for row in marts["dim_date"]
              if row["date"].year in cal.KNOWN_YEARS and row["is_working_day"] != cal.is_working_day(row["date"])}
    assert {row["date"] for row in marts["dim_date"]} >= {date(2024, 1, 1), date(2026, 12, 31)}
    assert differ == {date(2026, 11, 24)}


# --- diagnostics: every difference of every stage (the per-fix partition above is built from it) ------------


def test_print_every_difference(runs, capsys):
    lines = []
    for name, (stage, marts, truth) in runs.items():
        for label, diffs in (
            ("online", online_diffs(marts, truth)),
            ("timeliness", timeliness_diffs(marts, stage, truth)),
            ("watchlist", watchlist_diffs(marts, stage, truth)),
            ("5g", operator_diffs(marts, truth, "5g")),
            ("2g", operator_diffs(marts, truth, "2g")),
            ("scorecard", scorecard_diffs(marts, stage, truth)),
        ):
            lines += [f"[{name}] {label}: {d}" for d in diffs]
        lines.append(f"[{name}] raw formula cell rows: {marts['raw_formula_cell']}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
