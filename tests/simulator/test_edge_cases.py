"""The edge cases the default world must hold (seed 2024, default scale, July-December 2024), each served
as written and classified by the ground truth as worked out by hand below (ioc_simulator/edge_cases.py).

Hand-worked means: every expected value here was derived on paper from the contract (docs/contracts/marts.md) and
the calendar, not by calling the code under test.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ioc_simulator import generate_dossiers
from ioc_simulator.dossiers import DEFAULT_SCALE
from ioc_simulator.edge_cases import EDGE_CASES, applies_to
from ioc_simulator.truth import Rules, world_truth
from ioc_simulator.world import MERGER_LAST_DAY

SEP, OCT, NOV, DEC = (date(2024, m, 1) for m in (9, 10, 11, 12))
PHUONG_1 = "000.01.31.H03"


@pytest.fixture(scope="module")
def served():
    """Records as the dossier API serves them at the three instants the end-to-end test extracts at."""
    return {moment: {r["MaHoSo"]: r for r in generate_dossiers(as_of=moment)}
            for moment in (datetime(2024, 10, 1), datetime(2025, 1, 1), datetime(2025, 4, 30))}


@pytest.fixture(scope="module")
def truth():
    """The oracle over the complete history up to 30/4/2025 00:00 (the end of 29/4/2025)."""
    return world_truth(as_of=datetime(2025, 4, 30)).dossiers


def test_every_edge_case_is_in_the_default_world_and_nowhere_else(served):
    records = served[datetime(2025, 1, 1)]
    assert set(EDGE_CASES) <= set(records)
    assert len(records) == 440  # rewritten stories, not added ones
    # another seed or scale draws other dossiers under some of the same codes: left as generated
    assert applies_to(2024, DEFAULT_SCALE) and not applies_to(7, DEFAULT_SCALE) and not applies_to(2024, 1500)


def test_finish_on_the_due_day_after_the_due_time_is_late(served, truth):
    r = served[datetime(2025, 1, 1)]["000.00.31.H03-241115-0002"]
    assert (r["NgayHenTra"], r["NgayKetThucXuLy"]) == ("20241119170000", "20241119174210")
    state = truth.current["000.00.31.H03-241115-0002"]
    assert state.timeliness == "late"  # 17:42:10 > 17:00:00 on the same day (by day it would be on time)


def test_a_later_request_that_sets_an_earlier_date_wins(served, truth):
    r = served[datetime(2025, 1, 1)]["000.00.17.H03-241029-0001"]
    assert [(s["NgayBoSung"], s["NgayHenTraMoi"]) for s in r["DanhSachHoSoBoSung"]] == [
        ("20241101091000", "20241120170000"), ("20241108140000", "20241115170000")]
    assert r["NgayKetThucXuLy"] == "20241118100500"
    state = truth.current["000.00.17.H03-241029-0001"]
    assert state.due_at == datetime(2024, 11, 15, 17, 0)  # the 8/11 request's date, not the greater 20/11
    assert state.timeliness == "late"  # 18/11 > 15/11 (against 20/11 it would be early)


def test_holiday_swap_inside_the_at_risk_window(served, truth):
    records = served[datetime(2025, 4, 30)]
    assert records["000.00.31.H03-241130-0001"]["TrangThaiHoSo"] == 4
    assert records["000.00.31.H03-241130-0001"]["DanhSachHoSoBoSung"][0]["NgayHenTraMoi"] == "20250506170000"
    watch = truth.watchlist(date(2025, 4, 29))
    # (29/4, 6/5]: Wed 30/4, Thu 1/5 holidays, Fri 2/5 swapped off, weekend, Mon 5/5, Tue 6/5 -> 2
    assert (watch["000.00.31.H03-241130-0001"]["risk"], watch["000.00.31.H03-241130-0001"]["working_days_remaining"]) \
        == ("at_risk", 2)
    # due Wed 7/5: 3 working days left, not at risk
    assert records["000.00.17.H03-241205-0001"]["TrangThaiHoSo"] == 4
    assert "000.00.17.H03-241205-0001" not in watch
    # due Fri 25/4: overdue by (25/4, 29/4] = Sat 26/4 (make-up day), Mon 28/4, Tue 29/4 -> -3
    row = watch["000.00.15.H03-241211-0001"]
    assert (row["risk"], row["working_days_remaining"], row["due_day"]) == ("overdue", -3, date(2025, 4, 25))
    assert set(watch) == {"000.00.31.H03-241130-0001", "000.00.15.H03-241211-0001"}
    # at the end of 2024 the first one was waiting for its supplement: not on that watchlist
    assert "000.00.31.H03-241130-0001" not in truth.watchlist(date(2024, 12, 31))


def test_an_agency_version_ending_mid_month(served, truth):
    assert MERGER_LAST_DAY == "2024-10-25"
    records = served[datetime(2025, 1, 1)]
    # accepted by Phường 1 before its end, finished after it: its level is the acceptance day's (XA)
    for code, finished in (("000.01.31.H03-241021-0001", "20241029164615"),
                           ("000.01.31.H03-241022-0001", "20241104152843")):
        assert records[code]["NgayKetThucXuLy"] == finished and records[code]["TrangThaiHoSo"] == 10
        assert truth.scopes(truth.current[code]) == [("province", "province"), ("level", "XA"), ("agency", PHUONG_1)]
    assert truth.agencies.in_force(PHUONG_1, date(2024, 11, 4)) is None  # no version on the finishing day
    # keyed in as accepted on 28/10, after the end: no version in force, no level (fix 4)
    late = records["000.01.31.H03-241023-0001"]
    assert (late["MaDonViTiepNhan"], late["NgayTiepNhan"]) == (PHUONG_1, "20241028084000")
    assert truth.scopes(truth.current["000.01.31.H03-241023-0001"]) == [("province", "province"), ("agency", PHUONG_1)]
    assert truth.unversioned == ["000.01.31.H03-241023-0001"]
    online = truth.online_rate_monthly()
    # Phường 1 in October: 241021, 241022, 241023 (accepted 21/10, 23/10, 28/10)
    assert online[(OCT, "agency", PHUONG_1)]["dossiers_accepted"] == 3
    levels = sum(r["dossiers_accepted"] for (m, scope, _), r in online.items() if m == OCT and scope == "level")
    assert levels == online[(OCT, "province", "province")]["dossiers_accepted"] - 1


def test_a_bare_date_appointment_means_the_end_of_that_day(served, truth):
    r = served[datetime(2025, 1, 1)]["000.00.17.H03-241112-0001"]
    assert (r["NgayHenTra"], r["NgayKetThucXuLy"]) == ("20241122000000", "20241122165105")
    assert truth.current["000.00.17.H03-241112-0001"].timeliness == "on_time"  # 16:51 before 23:59:59
    # open at the end of its due day 31/12/2024 (appointment 31/12 00:00:00): due today, at risk with 0
    row = truth.watchlist(date(2024, 12, 31))["000.00.23.H03-241210-0001"]
    assert (row["risk"], row["working_days_remaining"]) == ("at_risk", 0)
    assert (row["due_as_sent"], row["due_at"]) == (datetime(2024, 12, 31), datetime(2024, 12, 31, 23, 59, 59))
    assert truth.at_month_end("000.00.23.H03-241210-0001", DEC)[1] == "overdue"  # due 31/12, open on 1/1
    assert truth.current["000.00.23.H03-241210-0001"].timeliness == "late"  # finished 2/1/2025


def test_status_6_at_a_month_end_is_waiting_only_when_it_pauses_the_clock(served):
    code = "000.00.37.H03-241210-0001"
    assert served[datetime(2025, 1, 1)][code]["TrangThaiHoSo"] == 6
    assert served[datetime(2025, 4, 30)][code]["TrangThaiHoSo"] == 10
    history = world_truth(as_of=datetime(2025, 4, 30)).dossiers.history[code]
    for pauses, kind, listed in ((True, "waiting", False), (False, "overdue", True)):
        truth = world_truth(as_of=datetime(2025, 4, 30), rules=Rules(status_6_pauses_clock=pauses)).dossiers
        assert truth.history[code] == history
        assert truth.at_month_end(code, DEC)[1] == kind  # due 31/12 17:00, status 6 since 27/12
        assert (code in truth.watchlist(date(2024, 12, 31))) is listed


def test_month_ends_use_the_state_then_in_force(served, truth):
    code = "000.00.33.H03-240912-0001"
    at_oct_1 = served[datetime(2024, 10, 1)][code]
    assert (at_oct_1["TrangThaiHoSo"], at_oct_1["NgayHenTra"], at_oct_1["DanhSachHoSoBoSung"]) == (
        4, "20240927170000", [])
    state, kind = truth.at_month_end(code, SEP)
    assert (state.due_at, kind) == (datetime(2024, 9, 27, 17, 0), "overdue")
    now = truth.current[code]
    assert now.due_at == datetime(2024, 10, 17, 17, 0) and now.timeliness == "early"  # finished 16/10
    # the payment wait of December is only in the history: today the dossier is finished
    assert truth.at_month_end("000.00.37.H03-241210-0001", DEC)[1] == "waiting"
