"""The report's fee-reduced and forecast sections (issue 13 items 2 and 5) show the marts' numbers.

Mart rows are written here by hand (as `read_marts` returns them), the month pages are rendered with
the real templates and parsed, and each cell is compared with the mart value formatted here, by the
test's own rule (one decimal, half up, decimal comma), not by the report's code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from ioc_pipeline.report import fmt
from ioc_pipeline.report.breakthroughs import Marts, month_context, report_months
from ioc_pipeline.report.render import render
from tests.report.browser import parse

SEP, OCT = date(2024, 9, 1), date(2024, 10, 1)
T, H = "000.00.01.H03", "000.00.13.H03"
D = Decimal


def pct(rate) -> str:
    value = (Decimal(str(rate)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}".replace(".", ",") + "%"


def fee(month, scope, code, group, accepted, remote, rate, share) -> dict:
    return {"month": month, "scope": scope, "scope_code": code, "procedure_group": group,
            "dossiers_accepted": accepted, "dossiers_online": remote, "dossiers_online_remote": remote,
            "online_remote_rate": rate, "share_of_accepted": share}


def forecast(code, name, unit, operator, value, projected, low, high, target, verdict, label, **extra) -> dict:
    return {"as_of_date": date(2024, 10, 8), "month": OCT, "indicator_code": code, "indicator_name": name,
            "unit": unit, "operator": operator, "days_remaining": 24, "working_days_remaining": 18,
            "value_to_date": value, "dossiers_accepted_to_date": extra.get("accepted"),
            "dossiers_online_remote_to_date": extra.get("remote"), "last_report_month": extra.get("last"),
            "reference_months": extra.get("refs", 3), "projected": projected, "projected_low": low,
            "projected_high": high, "target": target, "verdict": verdict, "verdict_label": label,
            "will_meet_target": None}


def marts() -> Marts:
    third = D("0.33333333333333333333")
    return Marts(
        scorecard=[{"month": m, "breakthrough": 3, "indicator_code": "b3_online_remote_rate",
                    "indicator_name": "Tỷ lệ hồ sơ trực tuyến từ xa (toàn tỉnh)", "unit": "ty_le",
                    "actual": D("0.6"), "target": D("0.65"), "status": "chua_dat"} for m in (SEP, OCT)],
        online=[], timeliness=[], five_g=[], two_g=[], sources=[],
        watchlist=[{"as_of_date": date(2024, 10, 8), "agency_code": T, "agency_name": "Sở Tư pháp",
                    "risk": "overdue", "dossiers": 1}],
        agencies=[{"agency_code": T, "agency_name": "Sở Tư pháp", "level": "TINH", "valid_from": date(2020, 1, 1),
                   "valid_to": None, "is_current": True},
                  {"agency_code": H, "agency_name": "UBND huyện Châu Đức", "level": "HUYEN",
                   "valid_from": date(2020, 1, 1), "valid_to": None, "is_current": True}],
        role="ioc_reader",
        fee_reduced=[
            fee(OCT, "province", "province", "fee_reduced", 2, 1, D("0.5"), D("0.4")),
            fee(OCT, "province", "province", "all", 5, 2, D("0.4"), 1),
            fee(OCT, "level", "TINH", "fee_reduced", 1, 1, 1, third),
            fee(OCT, "level", "TINH", "all", 3, 2, D("0.66666666666666666667"), 1),
            fee(OCT, "agency", T, "fee_reduced", 1, 1, 1, third),
            fee(OCT, "agency", T, "all", 3, 2, D("0.66666666666666666667"), 1),
            fee(OCT, "agency", H, "fee_reduced", 1, 0, 0, D("0.5")),
            fee(OCT, "agency", H, "all", 2, 0, 0, 1),
            fee(OCT, "agency", "000.00.99.H03", "fee_reduced", 0, 0, None, 0),  # no fee-reduced dossier: not listed
            fee(OCT, "agency", "000.00.99.H03", "all", 4, 4, 1, 1),
            fee(SEP, "province", "province", "fee_reduced", 3, 3, 1, D("0.75")),
            fee(SEP, "province", "province", "all", 4, 3, D("0.75"), 1),
        ],
        forecast=[
            forecast("b2_5g_on_air_vnpt", "Số trạm 5G đang phát sóng của VNPT", "tram", "vnpt", 14, 14, None, None, 40,
                     "no_basis", "Chưa đủ số liệu để dự báo", last=date(2024, 8, 1), refs=0),
            forecast("b3_online_remote_rate", "Tỷ lệ hồ sơ trực tuyến từ xa (toàn tỉnh)", "ty_le", None, 1, D("0.73"),
                     D("0.64"), D("0.85"), D("0.70"), "at_risk", "Có nguy cơ không đạt", accepted=2, remote=2),
            forecast("b2_5g_on_air_viettel", "Số trạm 5G đang phát sóng của Viettel", "tram", "viettel", 72,
                     D("90.5"), 86, 95, 93, "at_risk", "Có nguy cơ không đạt", last=date(2024, 9, 1)),
            forecast("b2_5g_on_air_all", "Số trạm 5G đang phát sóng (tất cả nhà mạng)", "tram", "all", 86, 120, 117,
                     122, 133, "will_miss", "Dự kiến không đạt", last=date(2024, 8, 1)),
        ],
    )


def page(month: date):
    m = marts()
    months = report_months(m.scorecard)
    return parse(render("month.html.j2", month_context(m, month, months, datetime(2024, 10, 8, 8, 0, tzinfo=fmt.VN))))


def test_fee_reduced_section_shows_the_mart_rows():
    doc = page(OCT)
    table = doc.find("table", id="fee-reduced-scopes")
    province = table.find("tr", data_scope="province")
    assert [province.field(f) for f in ("fee_accepted", "fee_remote", "fee_rate", "all_accepted", "all_rate", "share")] == [
        "2", "1", pct("0.5"), "5", pct("0.4"), pct("0.4")]
    tinh = table.find("tr", data_scope="level", data_scope_code="TINH")
    assert (tinh.field("fee_rate"), tinh.field("all_rate"), tinh.field("share")) == ("100,0%", "66,7%", "33,3%")
    # agencies with a fee-reduced dossier only, highest rate first, named by their version in force
    agencies = table.find_all("tr", data_scope="agency")
    assert [(a.attrs["data-scope-code"], a.find("td").text(), a.field("fee_rate")) for a in agencies] == [
        (T, "Sở Tư pháp", "100,0%"), (H, "UBND huyện Châu Đức", "0,0%")]
    sep = page(SEP).find("table", id="fee-reduced-scopes").find("tr", data_scope="province")
    assert (sep.field("fee_accepted"), sep.field("fee_rate"), sep.field("share")) == ("3", "100,0%", "75,0%")


def test_forecast_section_shows_the_run_as_of_rows_with_interval_and_verdict():
    doc = page(OCT)
    section = doc.find("section", id="forecast")
    assert (section.field("forecast_as_of"), section.field("forecast_month")) == ("08/10/2024", "tháng 10/2024")
    rows = [r for r in section.find("table", id="forecast-table").find_all("tr") if "data-indicator" in r.attrs]
    assert [r.attrs["data-indicator"] for r in rows] == [
        "b3_online_remote_rate", "b2_5g_on_air_all", "b2_5g_on_air_viettel", "b2_5g_on_air_vnpt"]
    cells = {r.attrs["data-indicator"]: tuple(r.field(f) for f in ("projected", "interval", "target", "verdict"))
             for r in rows}
    assert cells == {
        "b3_online_remote_rate": (pct("0.73"), f"{pct('0.64')} – {pct('0.85')}", pct("0.70"), "Có nguy cơ không đạt"),
        "b2_5g_on_air_all": ("120", "117 – 122", "133", "Dự kiến không đạt"),
        "b2_5g_on_air_viettel": ("90,5", "86 – 95", "93", "Có nguy cơ không đạt"),
        "b2_5g_on_air_vnpt": ("14", "—", "40", "Chưa đủ số liệu để dự báo"),
    }
    b3 = section.find("tr", data_indicator="b3_online_remote_rate")
    assert b3.field("value_to_date") == "100,0% 2/2 hồ sơ từ đầu tháng"
    assert section.find("tr", data_indicator="b2_5g_on_air_viettel").field("value_to_date") == "72 báo cáo tháng 09/2024"


def test_other_months_point_to_the_forecast_page():
    section = page(SEP).find("section", id="forecast")
    assert section.find_all("table") == []
    assert section.find("a").attrs["href"] == "2024-10.html"
