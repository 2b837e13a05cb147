"""The ground truth's rules, one by one, on tiny hand-made records (docs/contracts/marts.md and the issue 9 fixes).

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest
from openpyxl import Workbook

from ioc_simulator.truth import (
    B3_Q3_CODE,
    CHUA_CO_SO_LIEU,
    CHUA_DAT,
    DAT,
    KHONG_CO_CHI_TIEU,
    DossierTruth,
    IncompleteHistory,
    Rules,
    kpi_2g_monthly,
    kpi_5g_monthly,
    latest_reports,
    parse_appointment,
    parse_served_time,
    read_operator_workbook,
    scorecard,
)

DEPARTMENTS = [
    # A: district level until 15/9/2024, commune level from 16/9 (a version ending mid-month)
    {"code": "A", "name": "A (huyện)", "level": "HUYEN", "validFrom": "2015-01-01", "validTo": "2024-09-15"},
    {"code": "A", "name": "A (xã)", "level": "XA", "validFrom": "2024-09-16", "validTo": None},
    # B: a department abolished on 10/9/2024
    {"code": "B", "name": "B", "level": "TINH", "validFrom": "2015-01-01", "validTo": "2024-09-10"},
]
PROCEDURES = [{"code": "1.000001", "name": "Thủ tục một"}]
AS_OF = datetime(2025, 1, 1)


def rec(code, *, agency="A", status=4, submitted="20240902080000", accepted="20240902083000",
        due="20240910170000", finished=None, updated=None, channel=1, place=None, supplements=(), **extra):
    """A served record; NgayCapNhat defaults to the latest date it carries."""
    dates = [d for d in (submitted, accepted, finished) if d]
    record = {"MaHoSo": code, "MaTTHC": "1.000001", "MaDonViTiepNhan": agency, "KenhThucHien": channel,
              "NoiNopHoSo": place, "TrangThaiHoSo": status, "NgayNopHoSo": submitted, "NgayTiepNhan": accepted,
              "NgayHenTra": due, "NgayKetThucXuLy": finished, "NgayTra": None,
              "DanhSachHoSoBoSung": [dict(s) for s in supplements],
              "NgayCapNhat": updated or max(dates, key=lambda d: parse_served_time(d) or datetime.min)}
    record.update(extra)
    return record


def truth(*records, rules=Rules(), as_of=AS_OF):
    return DossierTruth(records, as_of, departments=DEPARTMENTS, procedures=PROCEDURES, rules=rules)


# --- reading -------------------------------------------------------------------------------------------


def test_both_date_formats_and_nothing_else():
    assert parse_served_time("20240715081500") == datetime(2024, 7, 15, 8, 15)
    assert parse_served_time("15/07/2024 08:15:00") == datetime(2024, 7, 15, 8, 15)
    assert parse_served_time("5/7/2024 8:15:00") == datetime(2024, 7, 5, 8, 15)
    for bad in ("20240231081500", "31/02/2024 08:15:00", "2024-07-15T08:15:00", "", None, 20240715081500):
        assert parse_served_time(bad) is None
    # fix 7: an appointment at exactly 00:00:00 is the end of that day; any other time is itself
    assert parse_appointment("20241122000000") == datetime(2024, 11, 22, 23, 59, 59)
    assert parse_appointment("22/11/2024 00:00:00") == datetime(2024, 11, 22, 23, 59, 59)
    assert parse_appointment("20241122000001") == datetime(2024, 11, 22, 0, 0, 1)


# --- accepted, online, remote, scopes ------------------------------------------------------------------------


def test_accepted_online_and_remote_by_month_of_acceptance():
    t = truth(
        rec("1", channel=2, place=1),              # online remote
        rec("2", channel=2, place=None),           # online remote (null place = keyed by the applicant)
        rec("3", channel=2, place=2),              # online, keyed by staff: not remote
        rec("4", channel=None),                    # null channel = counter
        rec("5", channel=3, accepted="01/10/2024 07:45:00"),  # post, accepted in October (other format)
        rec("6", status=3, channel=2),             # refused at intake: not accepted
        rec("7", status=1, accepted=None),         # never accepted
        rec("8", accepted="20240231080000"),       # unreadable acceptance: not accepted
    )
    rows = t.online_rate_monthly()
    sep = rows[(date(2024, 9, 1), "province", "province")]
    assert (sep["dossiers_accepted"], sep["dossiers_online"], sep["dossiers_online_remote"]) == (4, 3, 2)
    assert sep["online_remote_rate"] == Fraction(1, 2) and sep["target_rate"] == Fraction(65, 100)
    assert sep["meets_target"] is False  # 0.5 < 0.65
    octo = rows[(date(2024, 10, 1), "province", "province")]
    assert (octo["dossiers_accepted"], octo["online_rate"], octo["target_rate"]) == (1, 0, Fraction(7, 10))
    # accepted 2/9 (A is a district-level unit then), 1/10 (A is commune level then)
    assert rows[(date(2024, 9, 1), "level", "HUYEN")]["dossiers_accepted"] == 4
    assert rows[(date(2024, 10, 1), "level", "XA")]["dossiers_accepted"] == 1
    assert "target_rate" not in rows[(date(2024, 9, 1), "level", "HUYEN")]  # the plan is province-wide


def test_scopes_follow_the_version_of_the_acceptance_day_and_fix_4():
    t = truth(
        # accepted 12/9 under A's district-level version, finished 20/9 under its commune-level one
        rec("1", accepted="20240912090000", due="20240919170000", status=9, finished="20240920100000"),
        # B ended on 10/9: accepted 11/9, no version in force -> no level (fix 4), agency row kept
        rec("2", agency="B", accepted="20240911090000", due="20240918170000", status=10, finished="20240913100000"),
        # an agency the department list does not know at all
        rec("3", agency="Z", accepted="20240911090000"),
    )
    assert t.scopes(t.current["1"]) == [("province", "province"), ("level", "HUYEN"), ("agency", "A")]
    assert t.scopes(t.current["2"]) == [("province", "province"), ("agency", "B")]
    assert t.unversioned == ["2", "3"]
    timeliness = t.timeliness_monthly()
    assert timeliness[(date(2024, 9, 1), "level", "HUYEN")]["finished_late"] == 1   # 20/9 after 19/9 17:00
    assert (date(2024, 9, 1), "level", "XA") not in timeliness
    assert timeliness[(date(2024, 9, 1), "agency", "B")]["finished_early"] == 1     # 13/9 before 18/9
    assert timeliness[(date(2024, 9, 1), "province", "province")]["finished"] == 2
    online = t.online_rate_monthly()
    assert online[(date(2024, 9, 1), "province", "province")]["dossiers_accepted"] == 3
    assert sum(r["dossiers_accepted"] for (m, s, _), r in online.items() if s == "level") == 1


# --- due dates and timeliness ----------------------------------------------------------------------------------


def test_effective_due_is_the_latest_requests_new_date():
    s1 = {"NgayBoSung": "20240903090000", "NgayTiepNhanBoSung": "20240905090000", "NgayHenTraMoi": "20240920170000"}
    s2 = {"NgayBoSung": "20240906090000", "NgayTiepNhanBoSung": "20240909090000", "NgayHenTraMoi": "20240916170000"}
    pending = {"NgayBoSung": "20240910090000", "NgayTiepNhanBoSung": None, "NgayHenTraMoi": None}
    unreadable_request = {"NgayBoSung": "x", "NgayTiepNhanBoSung": None, "NgayHenTraMoi": "20240930170000"}
    t = truth(
        # the later request (6/9) sets an earlier date (16/9) than the first (20/9): 16/9 is due
        rec("1", supplements=[s1, s2, pending], status=9, finished="20240918100000"),
        # listed the other way round: NgayBoSung decides, not the list order (still 16/9)
        rec("2", supplements=[s2, s1], status=9, finished="20240918100000"),
        # a request without a readable NgayBoSung counts as the oldest
        rec("3", supplements=[s2, unreadable_request], status=9, finished="20240918100000"),
        # no request with a new date: NgayHenTra (10/9)
        rec("4", supplements=[pending], status=9, finished="20240910120000"),
    )
    assert t.current["1"].due_at == datetime(2024, 9, 16, 17) and t.current["1"].timeliness == "late"
    assert t.current["2"].due_at == datetime(2024, 9, 16, 17) and t.current["2"].timeliness == "late"
    assert t.current["3"].due_at == datetime(2024, 9, 16, 17)
    assert t.current["4"].due_at == datetime(2024, 9, 10, 17) and t.current["4"].timeliness == "on_time"


@pytest.mark.parametrize(("finished", "due", "expected"), [
    ("20240909235959", "20240910170000", "early"),     # a calendar day before the due day
    ("20240910080000", "20240910170000", "on_time"),   # the due day, before the due time
    ("20240910170000", "20240910170000", "on_time"),   # exactly at the due time: not after it
    ("20240910170001", "20240910170000", "late"),      # the due day, after the due time: late by time
    ("20240911080000", "20240910170000", "late"),
    ("20240910163000", "20240910000000", "on_time"),   # fix 7: bare date = end of 10/9
    ("20240910235959", "20240910000000", "on_time"),
    ("20240911000000", "20240910000000", "late"),
    ("20240909100000", "20240910000000", "early"),
    ("20240912080000", None, None),                    # no due date: not classified
])
def test_early_on_time_late(finished, due, expected):
    t = truth(rec("1", status=10, due=due, finished=finished))
    assert t.current["1"].timeliness == expected
    if expected is None:
        assert t.timeliness_monthly() == {}


def test_fix_7_also_applies_to_a_new_due_date():
    s = {"NgayBoSung": "20240903090000", "NgayTiepNhanBoSung": "20240904090000", "NgayHenTraMoi": "20240913000000"}
    t = truth(rec("1", supplements=[s], status=9, finished="20240913150000"))
    assert t.current["1"].timeliness == "on_time"


def test_only_processing_finished_or_returned_counts_as_finished():
    t = truth(rec("1", status=8, finished="20240905100000"), rec("2", status=7, finished="20240905100000"),
              rec("3", status=9, finished=None))
    assert all(s.timeliness is None for s in t.current.values())


# --- month ends, the state then in force (fix 9) and the payment wait (fix 8) -------------------------------


def history(code, *steps, **common):
    """Versions of one dossier: (NgayCapNhat, changes) applied one after the other."""
    submitted = common.pop("submitted", "20240902080000")
    record = rec(code, status=1, accepted=None, due=None, submitted=submitted, updated=submitted, **common)
    out = [dict(record)]
    for moment, changes in steps:
        record = {**record, **changes, "NgayCapNhat": moment}
        out.append(dict(record))
    return out


ACCEPT = {"TrangThaiHoSo": 2, "NgayTiepNhan": "20240902083000", "NgayHenTra": "20240920170000"}


def test_open_overdue_and_on_time_rate_at_month_ends_from_the_state_then_in_force():
    versions = [
        # X: paid-wait (6) from 25/9 to 3/10, due 20/9, finished 8/10
        *history("X", ("20240902083000", ACCEPT), ("20240925100000", {"TrangThaiHoSo": 6}),
                 ("20241003090000", {"TrangThaiHoSo": 4}),
                 ("20241008100000", {"TrangThaiHoSo": 9, "NgayKetThucXuLy": "20241008100000"})),
        # Y: in process at the end of September, due 20/9 (overdue then); on 2/10 a supplement set a new
        # date 15/10, finished 14/10
        *history("Y", ("20240902083000", ACCEPT),
                 ("20241002090000", {"TrangThaiHoSo": 5, "DanhSachHoSoBoSung": [
                     {"NgayBoSung": "20241002090000", "NgayTiepNhanBoSung": None, "NgayHenTraMoi": None}]}),
                 ("20241004090000", {"TrangThaiHoSo": 4, "DanhSachHoSoBoSung": [
                     {"NgayBoSung": "20241002090000", "NgayTiepNhanBoSung": "20241004090000",
                      "NgayHenTraMoi": "20241015170000"}]}),
                 ("20241014100000", {"TrangThaiHoSo": 10, "NgayKetThucXuLy": "20241014100000"})),
        # Z: due 30/9 17:00, still open on 1/10 00:00: due on the month's last day counts as overdue
        *history("Z", ("20240902083000", {**ACCEPT, "NgayHenTra": "20240930170000"})),
        # W: finished early in September (19/9 before 20/9)
        *history("W", ("20240902083000", ACCEPT),
                 ("20240919100000", {"TrangThaiHoSo": 9, "NgayKetThucXuLy": "20240919100000"})),
        # V: withdrawn in September: not open at its end
        *history("V", ("20240902083000", ACCEPT), ("20240916100000", {"TrangThaiHoSo": 7,
                                                                      "NgayKetThucXuLy": "20240916100000"})),
    ]
    sep = date(2024, 9, 1)
    t = DossierTruth(versions, AS_OF, departments=DEPARTMENTS)
    # at 1/10 00:00: X waiting (6, paused), Y overdue (due 20/9 then), Z overdue (due 30/9)
    assert [t.at_month_end(c, sep)[1] for c in ("X", "Y", "Z")] == ["waiting", "overdue", "overdue"]
    assert t.at_month_end("V", sep) is None and t.at_month_end("W", sep) is None
    row = t.timeliness_monthly([sep])[(sep, "province", "province")]
    assert (row["finished"], row["finished_early"], row["open_at_month_end"], row["overdue_at_month_end"]) == (1, 1, 3, 2)
    assert row["on_time_rate"] == Fraction(1 + 0 + 3 - 2, 1 + 3)  # (early + on time + open - overdue) / (finished + open)
    # today Y is finished and due 15/10: today's state would not call it overdue at the end of September
    assert t.current["Y"].due_at == datetime(2024, 10, 15, 17) and t.current["Y"].timeliness == "early"
    # fix 8: when status 6 does not pause the clock, X is overdue at the end of September too
    t8 = DossierTruth(versions, AS_OF, departments=DEPARTMENTS, rules=Rules(status_6_pauses_clock=False))
    assert t8.timeliness_monthly([sep])[(sep, "province", "province")]["overdue_at_month_end"] == 3
    # the month end is asked for only where told: other months carry no open/overdue
    assert t.timeliness_monthly()[(date(2024, 10, 1), "province", "province")]["open_at_month_end"] is None


def test_a_history_that_does_not_reach_back_is_refused():
    only_today = [rec("1", status=10, finished="20241008100000")]
    t = truth(*only_today)
    with pytest.raises(IncompleteHistory):
        t.timeliness_monthly([date(2024, 9, 1)])
    with pytest.raises(IncompleteHistory):
        t.watchlist(date(2025, 1, 5))  # after the versions' as-of


# --- watchlist -----------------------------------------------------------------------------------------------


def test_watchlist_as_of_a_day():
    a = date(2024, 12, 31)   # Tue; Wed 1/1/2025 is a holiday
    accept = {**ACCEPT, "NgayTiepNhan": "20241202083000"}
    versions = []
    for code, due in (("d-3", "20241226170000"), ("d0", "20241231170000"), ("d1", "20250101170000"),
                      ("d2", "20250103170000"), ("d3", "20250106170000")):
        versions += history(code, ("20241202083000", {**accept, "NgayHenTra": due}))
    versions += history("waiting5", ("20241202083000", {**accept, "NgayHenTra": "20241220170000"}),
                        ("20241219090000", {"TrangThaiHoSo": 5}))
    versions += history("waiting6", ("20241202083000", {**accept, "NgayHenTra": "20241220170000"}),
                        ("20241219090000", {"TrangThaiHoSo": 6}))
    # finished on 2/1/2025: still open at the end of 31/12 (its state then), so listed
    versions += history("later", ("20241202083000", {**accept, "NgayHenTra": "20241230170000"}),
                        ("20250102090000", {"TrangThaiHoSo": 9, "NgayKetThucXuLy": "20250102090000"}))
    # submitted and accepted on 2/1/2025: not open on 31/12
    versions += history("new", ("20250102083000", {**accept, "NgayTiepNhan": "20250102083000",
                                                   "NgayHenTra": "20250103170000"}), submitted="20250102080000")
    t = DossierTruth(versions, datetime(2025, 1, 3), departments=DEPARTMENTS, procedures=PROCEDURES)
    rows = t.watchlist(a)
    got = {c: (r["risk"], r["working_days_remaining"]) for c, r in rows.items()}
    # d-3: (26/12, 31/12] holds Fri 27, Mon 30, Tue 31 -> -3; d0: due today -> 0; later: due 30/12 -> -1
    assert got == {"d-3": ("overdue", -3), "d0": ("at_risk", 0), "d1": ("at_risk", 0), "d2": ("at_risk", 2),
                   "later": ("overdue", -1)}
    # d1: due on the 1/1 holiday, no working day in (31/12, 1/1]: 0; d2: Thu 2/1 + Fri 3/1 = 2;
    # d3: Thu 2, Fri 3, Mon 6 = 3, not at risk; waiting ones are not listed
    row = rows["d2"]
    assert (row["as_of_date"], row["agency_name"], row["procedure_name"], row["due_day"]) == (
        a, "A (xã)", "Thủ tục một", date(2025, 1, 3))
    # fix 8: status 6 does not pause the clock -> it is overdue like any other
    t8 = DossierTruth(versions, datetime(2025, 1, 3), departments=DEPARTMENTS, rules=Rules(status_6_pauses_clock=False))
    assert set(t8.watchlist(a)) - set(rows) == {"waiting6"}
    # the at-risk span is a parameter
    t1 = DossierTruth(versions, datetime(2025, 1, 3), departments=DEPARTMENTS, rules=Rules(at_risk_working_days=1))
    assert "d2" not in t1.watchlist(a)


# --- operators' workbooks ------------------------------------------------------------------------------------


def workbook(stations, subscribers, *, tram="Tram", title_rows=3, tram_columns=None, extra_tram=(), extra_sheet=True):
    tram_columns = tram_columns or ["Mã trạm", "Công nghệ", "Đơn vị hành chính", "Vĩ độ", "Kinh độ", "Trạng thái",
                                    "Ngày phát sóng"]
    book = Workbook()
    ws = book.active
    ws.title = tram
    for i in range(title_rows):
        ws.append([f"title {i}"])
    ws.append(tram_columns)
    for row in stations:
        values = dict(zip(["Mã trạm", "Công nghệ", "Đơn vị hành chính", "Vĩ độ", "Kinh độ", "Trạng thái",
                           "Ngày phát sóng"], row))
        ws.append([values.get(c) for c in tram_columns])
    for row in extra_tram:
        ws.append(list(row))
    if extra_sheet:
        sub = book.create_sheet("ThueBao")
        sub.append(["Kỳ báo cáo: 09/2024"])
        sub.append(["STT", "Đơn vị hành chính", "Tổng thuê bao di động", "Thuê bao chỉ dùng 2G"])
        for i, (unit, total, only) in enumerate(subscribers, start=1):
            sub.append([i, unit, total, only])
        sub.append(["Tổng cộng", None, 999999, 99999])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ON = "Đang phát sóng"
ARRIVED = datetime(2024, 10, 5, 9, 0)


def test_a_station_counts_from_code_technology_and_status_alone():
    content = workbook(
        [("S1", "5G", "Vũng Tàu", 10.3, 107.1, ON, "01/09/2024"),
         ("  S2 ", "5g", "Nowhere", "=10.4+0.1", "107,2,5", f"  {ON} ", "31/02/2024"),  # bad unrelated cells (fix 1, 2)
         ("S1", "5G", "Vũng Tàu", 10.3, 107.1, ON, "01/09/2024"),       # listed twice: one station
         ("S3", "5G", "Vũng Tàu", 10.3, 107.1, "Đã lắp đặt", None),     # installed, not on air
         ("S4", "2G", "Bà Rịa", 10.5, 107.2, ON, "01/01/2010"),
         ("S4", "4G", "Bà Rịa", 10.5, 107.2, ON, "01/01/2016"),
         (None, "5G", "Bà Rịa", 10.5, 107.2, ON, None)],                 # no code: not a station
        [("Vũng Tàu", 1000, 40), ("Huyện Không Có", 500, 20), ("Bà Rịa", "n/a", 5), ("Côn Đảo", 10, 11)],
        tram_columns=["STT", "Mã trạm", "Trạng thái", "Công nghệ", "Ngày phát sóng", "Đơn vị hành chính", "Vĩ độ",
                      "Kinh độ"],
        extra_tram=[("Tổng cộng", None, None, 7)])
    report = read_operator_workbook(content, "vnpt_202409.xlsx", ARRIVED)
    assert (report.operator, report.month) == ("vnpt", date(2024, 9, 1))
    assert report.on_air("5G") == 2 and report.on_air("2G") == 1 and report.on_air("4G") == 1
    # ThueBao: an unknown unit still counts; an unreadable count or 2G-only above the total does not
    assert (report.subscribers_2g_only, report.subscribers_total) == (60, 1500)


def test_a_file_that_is_not_a_report_is_none():
    good = workbook([("S1", "5G", "Vũng Tàu", 10.3, 107.1, ON, None)], [("Vũng Tàu", 1, 0)])
    assert read_operator_workbook(good[: len(good) // 2], "viettel_202409.xlsx", ARRIVED) is None  # truncated
    renamed = workbook([("S1", "5G", "Vũng Tàu", 10.3, 107.1, ON, None)], [("Vũng Tàu", 1, 0)], tram="Trạm BTS")
    assert read_operator_workbook(renamed, "viettel_202409.xlsx", ARRIVED) is None
    no_date_column = workbook([("S1", "5G", "Vũng Tàu", 10.3, 107.1, ON)], [("Vũng Tàu", 1, 0)],
                              tram_columns=["Mã trạm", "Công nghệ", "Đơn vị hành chính", "Vĩ độ", "Kinh độ", "Trạng thái"])
    assert read_operator_workbook(no_date_column, "viettel_202409.xlsx", ARRIVED) is None
    assert read_operator_workbook(good, "viettel-2024-09.xlsx", ARRIVED) is None


def test_the_latest_readable_delivery_by_arrival_counts():
    first = workbook([("S1", "5G", "x", 1, 1, ON, None)], [("x", 10, 1)])
    correction = workbook([("S1", "5G", "x", 1, 1, ON, None), ("S2", "5G", "x", 1, 1, ON, None)], [("x", 10, 2)])
    broken = correction[:100]
    sep = date(2024, 9, 1)
    # listed in any order; the arrival decides (fix 3), not the order given nor a file time
    deliveries = [("viettel_202409.xlsx", ARRIVED + timedelta(days=8), correction), ("viettel_202409.xlsx", ARRIVED, first)]
    assert latest_reports(deliveries)[("viettel", sep)].on_air("5G") == 2
    assert latest_reports(deliveries, as_of=ARRIVED + timedelta(days=1))[("viettel", sep)].on_air("5G") == 1
    # an unreadable later delivery replaces nothing
    assert latest_reports([*deliveries, ("viettel_202409.xlsx", ARRIVED + timedelta(days=9), broken)])[
        ("viettel", sep)].on_air("5G") == 2


def test_5g_and_2g_rows_and_the_all_operator():
    sep, octo = date(2024, 9, 1), date(2024, 10, 1)
    v = workbook([("V1", "5G", "x", 1, 1, ON, None), ("V2", "2G", "x", 1, 1, ON, None)], [("x", 100, 10)])
    n = workbook([("N1", "5G", "x", 1, 1, ON, None), ("N2", "5G", "x", 1, 1, ON, None)], [("x", 300, 10)])
    reports = latest_reports([("viettel_202409.xlsx", ARRIVED, v), ("vnpt_202409.xlsx", ARRIVED, n),
                              ("viettel_202410.xlsx", ARRIVED + timedelta(days=30), v)])
    five = kpi_5g_monthly(reports)
    assert five[(sep, "viettel")] == {"stations_5g_on_air": 1, "report_received": True, "target": 70,
                                      "meets_target": False}
    assert five[(sep, "all")]["stations_5g_on_air"] == 3
    # October: VNPT's report missing, so `all` is unknown, not Viettel's alone
    assert five[(octo, "vnpt")]["stations_5g_on_air"] is None and five[(octo, "all")]["report_received"] is False
    assert (date(2024, 12, 1), "all") in five  # a month with a target and no report yet
    two = kpi_2g_monthly(reports)
    assert two[(sep, "all")] == {"stations_2g_on_air": 1, "subscribers_2g_only": 20, "subscribers_total": 400,
                                 "share_2g_only": Fraction(1, 20), "report_received": True}
    assert two[(octo, "all")]["share_2g_only"] is None


# --- scorecard -----------------------------------------------------------------------------------------------


def _q3_dossiers():
    """Accepted: July 4 (remote 3), August 4 (remote 2), September 2 (remote 2): Q3 = 7 / 10."""
    records, n = [], 0
    for month, total, remote in ((7, 4, 3), (8, 4, 2), (9, 2, 2)):
        for i in range(total):
            n += 1
            stamp = f"2024{month:02d}1{i}090000"
            records.append(rec(str(n), submitted=stamp, accepted=stamp, due=None, channel=2 if i < remote else 1,
                               place=1))
    return records


def test_scorecard_statuses_the_no_data_yet_status_and_the_q3_milestone():
    dossiers = truth(*_q3_dossiers())
    v = workbook([("V1", "5G", "x", 1, 1, ON, None)], [("x", 100, 10)])
    aug, sep, octo = date(2024, 8, 1), date(2024, 9, 1), date(2024, 10, 1)
    reports = latest_reports([("viettel_202408.xlsx", datetime(2024, 9, 3, 9), v)])
    card = scorecard(dossiers, reports, date(2024, 9, 8))
    # b3 monthly: September 2/2 = 1 >= 0.65 (partial month, counts up to the as-of day); October is after it
    assert card[(sep, "b3_online_remote_rate")] == {"breakthrough": 3, "actual": 1, "target": Fraction(65, 100),
                                                     "status": DAT}
    assert card[(octo, "b3_online_remote_rate")]["status"] == CHUA_CO_SO_LIEU
    assert card[(date(2024, 7, 1), "b3_online_remote_rate")]["status"] == KHONG_CO_CHI_TIEU
    # fix 6: July-September as one rate, (3 + 2 + 2) / (4 + 4 + 2) = 0.7 >= 0.65
    assert card[(sep, B3_Q3_CODE)] == {"breakthrough": 3, "actual": Fraction(7, 10), "target": Fraction(65, 100),
                                       "status": DAT}
    # 5G: August's Viettel report arrived (1 < 47: not met); VNPT's August report is due before 10/9 and
    # the as-of day is 8/9: not due yet (fix 5), and so is `all`
    assert card[(aug, "b2_5g_on_air_viettel")]["status"] == CHUA_DAT
    assert card[(aug, "b2_5g_on_air_vnpt")]["status"] == CHUA_CO_SO_LIEU
    assert card[(aug, "b2_5g_on_air_all")]["status"] == CHUA_CO_SO_LIEU
    # as of 9/9 (its end is the 10th, 00:00) the report is due: missing is not met
    later = scorecard(dossiers, reports, date(2024, 9, 9))
    assert later[(aug, "b2_5g_on_air_vnpt")]["status"] == CHUA_DAT
    assert later[(sep, "b2_5g_on_air_viettel")]["status"] == CHUA_CO_SO_LIEU  # due before 10/10
    # b1: months after the as-of day's month have no data yet; up to it, the loads the caller reports
    assert card[(octo, "b1_sources_integrated")]["status"] == CHUA_CO_SO_LIEU
    assert card[(sep, "b1_sources_integrated")] == {"breakthrough": 1, "actual": 1, "target": 1, "status": DAT}
    partial = scorecard(dossiers, reports, date(2024, 9, 8), sources_integrated={sep: Fraction(3, 4)})
    assert partial[(sep, "b1_sources_integrated")]["status"] == CHUA_DAT
    # the Q3 row before September: no data yet
    assert scorecard(dossiers, reports, date(2024, 8, 20))[(sep, B3_Q3_CODE)]["status"] == CHUA_CO_SO_LIEU
