"""The leaders' monthly report of the three 2024 breakthroughs, from schema `marts` only.

`write_reports(warehouse_url, out_dir)` reads the marts as role `ioc_reader` (which can read
nothing else), and writes into `out_dir` one self-contained HTML page per reported month
(`YYYY-MM.html`: no script, no stylesheet or image from elsewhere, charts as inline SVG) and an
`index.html` listing the months. Labels are Vietnamese; rates are percentages with one decimal;
times are Vietnam time.

Which months: every month of `breakthrough_scorecard` for which a measured indicator has a value
(the sources' integration share alone, which the scorecard also carries for the as-of month before
any data of that month exists, does not make a month).

Snapshots: `dossier_watchlist` (as of the run's as-of day) and `source_status` (the latest
attempts) describe "now", not a month. The watchlist is shown in the page of the latest reported
month up to the as-of day (December in the evaluation year) and the other pages point to it; the
sources' status is shown on every page, labelled as the state when the report was made.

Gap to target, per agency: how many more online-remote dossiers would have met the month's target,
ceil(target x accepted) - remote when positive (the marts' target_rate, which falls back to the
province target for an agency).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ioc_pipeline.report import agency_work, fmt, outlook
from ioc_pipeline.report.db import READER_ROLE, connect_as, current_role
from ioc_pipeline.report.render import render, write_page

log = logging.getLogger(__name__)

BREAKTHROUGHS = {
    1: ("Đột phá 1", "Tập trung dữ liệu, theo dõi tiến độ giải quyết hồ sơ"),
    2: ("Đột phá 2", "Hạ tầng số: 200 trạm 5G đến tháng 12/2024 (Viettel 140, VNPT 60)"),
    3: ("Đột phá 3", "Hồ sơ trực tuyến từ xa: ≥ 65% đến tháng 9/2024, ≥ 70% từ tháng 10/2024"),
}
# The indicator each breakthrough's headline card shows.
HEADLINE = {1: "b1_sources_integrated", 2: "b2_5g_on_air_all", 3: "b3_online_remote_rate"}
# The order indicators are listed in (an indicator the plan adds later goes last, by code).
INDICATOR_ORDER = ["b1_sources_integrated", "b1_overdue_dossiers", "b2_5g_on_air_all", "b2_5g_on_air_viettel",
                   "b2_5g_on_air_vnpt", "b2_2g_only_share", "b3_online_remote_rate",
                   "b1_sources_declared_integrated"]
# Indicators that only exist because the scorecard rebuilds them for the as-of month.
NOT_A_DATA_MONTH_ON_ITS_OWN = {"b1_sources_integrated", "b1_sources_declared_integrated"}


# --------------------------------------------------------------------------------------------
# Reading the marts


@dataclass
class Marts:
    """Every mart row the report uses (schema `marts`, read as ioc_reader)."""

    scorecard: list[dict]
    online: list[dict]
    timeliness: list[dict]
    five_g: list[dict]
    two_g: list[dict]
    watchlist: list[dict]
    sources: list[dict]
    agencies: list[dict]
    role: str
    agency_reports: list[dict] = field(default_factory=list)     # issue 13 (report/agency_work.py)
    citizen_accounts: list[dict] = field(default_factory=list)   # issue 13
    fee_reduced: list[dict] = field(default_factory=list)  # kpi_fee_reduced_online_monthly (issue 13 item 2)
    forecast: list[dict] = field(default_factory=list)  # kpi_forecast_month_end, run's as-of day (item 5)


def read_marts(warehouse_url: str) -> Marts:
    with connect_as(warehouse_url, READER_ROLE) as conn:
        def rows(query: str) -> list[dict]:
            return conn.execute(query).fetchall()

        return Marts(
            scorecard=rows("""select month, breakthrough, indicator_code, indicator_name, unit, actual,
                                     target, status
                                from marts.breakthrough_scorecard order by month, indicator_code"""),
            online=rows("""select month, scope, scope_code, dossiers_accepted, dossiers_online,
                                  dossiers_online_remote, online_rate, online_remote_rate, target_rate,
                                  meets_target
                             from marts.kpi_online_rate_monthly order by month, scope, scope_code"""),
            timeliness=rows("""select month, scope, scope_code, finished, finished_early, finished_on_time,
                                      finished_late, open_at_month_end, overdue_at_month_end, on_time_rate
                                 from marts.kpi_timeliness_monthly order by month, scope, scope_code"""),
            five_g=rows("""select month, operator, stations_5g_on_air, report_received, target, meets_target
                             from marts.kpi_5g_monthly order by month, operator"""),
            two_g=rows("""select month, operator, stations_2g_on_air, subscribers_2g_only, subscribers_total,
                                 share_2g_only
                            from marts.kpi_2g_monthly order by month, operator"""),
            watchlist=rows("""select as_of_date, agency_code, agency_name, risk, count(*) as dossiers
                                from marts.dossier_watchlist
                               group by as_of_date, agency_code, agency_name, risk"""),
            sources=rows("""select source, expected_cadence, last_attempt_at, last_success_at, last_status,
                                   rows_loaded_last_success, rows_quarantined_last_success, is_fresh,
                                   dq_status, latest_report_on_time, source_kind, owner_agency, sector,
                                   freshness_hours
                              from marts.source_status order by source_kind desc, source"""),
            agencies=rows("""select agency_code, agency_name, level, valid_from, valid_to, is_current
                               from marts.dim_agency order by agency_code, valid_from"""),
            role=current_role(conn),
            agency_reports=rows(agency_work.AGENCY_REPORTS_SQL),
            citizen_accounts=rows(agency_work.CITIZEN_ACCOUNTS_SQL),
            fee_reduced=rows(outlook.FEE_REDUCED_QUERY),
            forecast=rows(outlook.FORECAST_QUERY),
        )


# --------------------------------------------------------------------------------------------
# Calculations shown in the report (no formula of the marts is redone here)


def remote_gap(target: Decimal | None, accepted: int | None, remote: int | None) -> int | None:
    """More online-remote dossiers needed to meet the target: ceil(target x accepted) - remote,
    when positive; 0 when met; None without a target or without accepted dossiers."""
    if target is None or not accepted:
        return None
    needed = math.ceil(Decimal(str(target)) * accepted) - (remote or 0)
    return max(needed, 0)


def report_months(scorecard: list[dict]) -> list[date]:
    return sorted({r["month"] for r in scorecard
                   if r["actual"] is not None and r["indicator_code"] not in NOT_A_DATA_MONTH_ON_ITS_OWN})


def _month_end(month: date) -> date:
    nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


class AgencyNames:
    """The name and level of an agency as of a month: the version in force on the month's last
    day, else the latest version that started by then, else its earliest version."""

    def __init__(self, versions: list[dict]):
        self._by_code: dict[str, list[dict]] = {}
        for v in versions:
            self._by_code.setdefault(v["agency_code"], []).append(v)

    def version(self, code: str, month: date) -> dict | None:
        versions = self._by_code.get(code)
        if not versions:
            return None
        end = _month_end(month)
        started = [v for v in versions if v["valid_from"] <= end]
        in_force = [v for v in started if v["valid_to"] is None or v["valid_to"] >= end]
        pool = in_force or started or versions[:1]
        return max(pool, key=lambda v: v["valid_from"])

    def name(self, code: str, month: date) -> str:
        v = self.version(code, month)
        return v["agency_name"] if v and v["agency_name"] else code

    def level(self, code: str, month: date) -> str | None:
        v = self.version(code, month)
        return v["level"] if v else None


# --------------------------------------------------------------------------------------------
# One month's page


def _indicator_rank(row: dict) -> tuple[int, str]:
    code = row["indicator_code"]
    return (INDICATOR_ORDER.index(code) if code in INDICATOR_ORDER else len(INDICATOR_ORDER), code)


def _scorecard_view(m: Marts, month: date, months: list[date]) -> list[dict]:
    previous = max((x for x in months if x < month), default=None)
    prev_actual = {r["indicator_code"]: r["actual"] for r in m.scorecard if r["month"] == previous}
    rows = sorted((r for r in m.scorecard if r["month"] == month), key=_indicator_rank)
    groups = []
    for b, (title, subtitle) in BREAKTHROUGHS.items():
        indicators = []
        for r in rows:
            if r["breakthrough"] != b:
                continue
            indicators.append({
                "code": r["indicator_code"],
                "name": r["indicator_name"],
                "unit": fmt.UNIT_LABELS.get(r["unit"], r["unit"]),
                "actual": fmt.measure(r["actual"], r["unit"]),
                "target": fmt.measure(r["target"], r["unit"]) if r["target"] is not None else fmt.NONE,
                "previous": fmt.measure(prev_actual.get(r["indicator_code"]), r["unit"]),
                "status": r["status"],
                "status_label": fmt.STATUS_LABELS.get(r["status"], r["status"]),
            })
        statuses = {i["status"] for i in indicators}
        overall = ("chua_dat" if "chua_dat" in statuses else "dat" if "dat" in statuses
                   else "khong_co_chi_tieu")
        headline = next((i for i in indicators if i["code"] == HEADLINE[b]), None)
        groups.append({"number": b, "title": title, "subtitle": subtitle, "indicators": indicators,
                       "status": overall, "status_label": fmt.STATUS_LABELS[overall], "headline": headline})
    return groups


def _ranked(rows: list[dict], rate: str, volume: str, names: AgencyNames, month: date, line) -> list[dict]:
    """Agency rows, best rate first (then the larger volume, then the name), numbered from 1."""
    rows = sorted(rows, key=lambda r: (-(r[rate] or 0), -(r[volume] or 0), names.name(r["scope_code"], month)))
    return [{**line(r, names.name(r["scope_code"], month), names.level(r["scope_code"], month)), "rank": rank}
            for rank, r in enumerate(rows, start=1)]


def _online_view(m: Marts, month: date, names: AgencyNames) -> dict:
    this_month = [r for r in m.online if r["month"] == month]
    province = next((r for r in this_month if r["scope"] == "province"), None)

    def line(r: dict, label: str, level: str | None = None) -> dict:
        gap = remote_gap(r["target_rate"], r["dossiers_accepted"], r["dossiers_online_remote"])
        return {
            "code": r["scope_code"], "label": label, "level": fmt.LEVEL_LABELS.get(level, fmt.NONE),
            "accepted": fmt.number(r["dossiers_accepted"]), "online": fmt.number(r["dossiers_online"]),
            "remote": fmt.number(r["dossiers_online_remote"]),
            "rate": fmt.pct(r["online_remote_rate"]),
            "rate_width": round(float(r["online_remote_rate"] or 0) * 100, 1),
            "target": fmt.pct(r["target_rate"]),
            "target_width": round(float(r["target_rate"]) * 100, 1) if r["target_rate"] is not None else None,
            "gap": fmt.number(gap) if gap else fmt.NONE,
            "meets": r["meets_target"],
        }

    levels = [line(r, fmt.LEVEL_LABELS.get(r["scope_code"], r["scope_code"]), r["scope_code"])
              for r in sorted((r for r in this_month if r["scope"] == "level"),
                              key=lambda r: list(fmt.LEVEL_LABELS).index(r["scope_code"])
                              if r["scope_code"] in fmt.LEVEL_LABELS else 9)]
    agencies = [r for r in this_month if r["scope"] == "agency" and r["dossiers_accepted"]]
    ranked = _ranked(agencies, "online_remote_rate", "dossiers_accepted", names, month, line)
    return {
        "province": line(province, "Toàn tỉnh") if province else None,
        "province_gap": (remote_gap(province["target_rate"], province["dossiers_accepted"],
                                    province["dossiers_online_remote"]) if province else None),
        "levels": levels,
        "agencies": ranked,
        "below_target": sum(1 for r in agencies if r["meets_target"] is False),
    }


def _timeliness_view(m: Marts, month: date, names: AgencyNames) -> dict:
    this_month = [r for r in m.timeliness if r["month"] == month]

    def line(r: dict, label: str, level: str | None = None) -> dict:
        return {
            "code": r["scope_code"], "label": label, "level": fmt.LEVEL_LABELS.get(level, fmt.NONE),
            "finished": fmt.number(r["finished"]),
            "on_time": fmt.number((r["finished_early"] or 0) + (r["finished_on_time"] or 0)),
            "late": fmt.number(r["finished_late"]), "open": fmt.number(r["open_at_month_end"]),
            "overdue": fmt.number(r["overdue_at_month_end"]), "overdue_n": r["overdue_at_month_end"] or 0,
            "rate": fmt.pct(r["on_time_rate"]),
            "rate_width": round(float(r["on_time_rate"] or 0) * 100, 1),
        }

    province = next((r for r in this_month if r["scope"] == "province"), None)
    agencies = [r for r in this_month if r["scope"] == "agency" and r["on_time_rate"] is not None]
    ranked = _ranked(agencies, "on_time_rate", "finished", names, month, line)
    return {"province": line(province, "Toàn tỉnh") if province else None, "agencies": ranked}


def _telecom_view(m: Marts, month: date) -> dict:
    order = ["viettel", "vnpt", "all"]

    def rows(mart: list[dict]) -> list[dict]:
        """The month's rows, Viettel, VNPT, then both, each with its operator's label."""
        found = sorted((r for r in mart if r["month"] == month),
                       key=lambda r: order.index(r["operator"]) if r["operator"] in order else len(order))
        return [{**r, "code": r["operator"], "label": fmt.OPERATOR_LABELS.get(r["operator"], r["operator"]),
                 "is_total": r["operator"] == "all"} for r in found]

    five = []
    for r in rows(m.five_g):
        status = ("khong_co_chi_tieu" if r["meets_target"] is None else "dat" if r["meets_target"] else "chua_dat")
        short = (int(r["target"]) - r["stations_5g_on_air"]) if status == "chua_dat" else None
        five.append({
            "code": r["code"], "operator": r["label"], "is_total": r["is_total"],
            "stations": fmt.number(r["stations_5g_on_air"]), "target": fmt.number(r["target"]),
            "missing": fmt.number(short) if short else fmt.NONE,
            "received": fmt.yes_no(r["report_received"], "Đã nhận", "Chưa nhận"),
            "status": status, "status_label": fmt.STATUS_LABELS[status],
        })
    two = [{
        "code": r["code"], "operator": r["label"], "is_total": r["is_total"],
        "stations": fmt.number(r["stations_2g_on_air"]), "only_2g": fmt.number(r["subscribers_2g_only"]),
        "total": fmt.number(r["subscribers_total"]), "share": fmt.pct(r["share_2g_only"]),
    } for r in rows(m.two_g)]
    return {"five_g": five, "two_g": two}


def _watchlist_view(m: Marts, names_month: date, names: AgencyNames) -> dict:
    by_agency: dict[str, dict] = {}
    as_of = None
    for r in m.watchlist:
        as_of = r["as_of_date"]
        a = by_agency.setdefault(r["agency_code"], {
            "code": r["agency_code"], "label": r["agency_name"] or names.name(r["agency_code"], names_month),
            "level": fmt.LEVEL_LABELS.get(names.level(r["agency_code"], names_month), fmt.NONE),
            "overdue": 0, "at_risk": 0})
        a[r["risk"]] = a.get(r["risk"], 0) + r["dossiers"]
    rows = sorted(by_agency.values(), key=lambda a: (-a["overdue"], -a["at_risk"], a["label"]))
    return {
        "as_of": as_of, "as_of_label": fmt.day(as_of),
        "rows": [{**a, "overdue_label": fmt.number(a["overdue"]), "at_risk_label": fmt.number(a["at_risk"])}
                 for a in rows],
        "overdue": fmt.number(sum(a["overdue"] for a in rows)),
        "at_risk": fmt.number(sum(a["at_risk"] for a in rows)),
    }


def _sources_view(m: Marts) -> list[dict]:
    return [{
        "code": r["source"],
        "label": fmt.SOURCE_LABELS.get(r["source"], r["source"]),
        "cadence": fmt.CADENCE_LABELS.get(r["expected_cadence"], r["expected_cadence"] or fmt.NONE),
        "last_attempt": fmt.vn_time(r["last_attempt_at"]),
        "last_success": fmt.vn_time(r["last_success_at"]),
        "last_status": {"success": "Thành công", "failed": "Lỗi", "running": "Đang chạy"}.get(
            r["last_status"], r["last_status"] or fmt.NONE),
        "last_status_ok": r["last_status"] == "success",
        "rows_loaded": fmt.number(r["rows_loaded_last_success"]),
        "rows_quarantined": fmt.number(r["rows_quarantined_last_success"]),
        "fresh": r["is_fresh"],
        "fresh_label": fmt.yes_no(r["is_fresh"], "Kịp thời", "Không kịp thời"),
        "dq": r["dq_status"],
        "dq_label": (f"{fmt.DQ_MARKS[r['dq_status']]} {fmt.DQ_LABELS[r['dq_status']]}"
                     if r["dq_status"] in fmt.DQ_LABELS else "Chưa có kết quả"),
        "on_time_label": fmt.yes_no(r["latest_report_on_time"], "Đúng hạn", "Trễ / chưa nhận"),
        "on_time": r["latest_report_on_time"],
        # sector feeds (feeds/*.yml): the sector, owner agency and declared freshness SLA
        "feed": (None if r.get("source_kind") != "sector_feed" else
                 f"Dữ liệu chuyên ngành {fmt.SECTOR_LABELS.get(r['sector'], r['sector'])} · "
                 f"đơn vị {r['owner_agency']} · kịp thời trong {r['freshness_hours']} giờ"),
    } for r in m.sources]


def _chart_svgs(m: Marts, month: date) -> dict[str, str]:
    from ioc_pipeline.report import charts

    shown = [x for x in sorted({r["month"] for r in m.online} | {r["month"] for r in m.five_g}
                                 | {r["month"] for r in m.two_g}) if x <= month]
    labels = [fmt.month_short(x) for x in shown]
    current = fmt.month_short(month)
    scope_label = {"province": "Toàn tỉnh", **fmt.LEVEL_LABELS}
    online = [{"thang": fmt.month_short(r["month"]),
               "pham_vi": scope_label["province"] if r["scope"] == "province"
               else fmt.LEVEL_LABELS.get(r["scope_code"], r["scope_code"]),
               "ty_le": float(r["online_remote_rate"])}
              for r in m.online if r["month"] <= month and r["scope"] in ("province", "level")
              and r["online_remote_rate"] is not None]
    targets = [{"thang": fmt.month_short(r["month"]), "chi_tieu": float(r["target_rate"])}
               for r in m.online if r["month"] <= month and r["scope"] == "province"
               and r["target_rate"] is not None]
    five = [{"thang": fmt.month_short(r["month"]), "nha_mang": fmt.OPERATOR_LABELS[r["operator"]],
             "so_tram": r["stations_5g_on_air"],
             "ke_hoach": float(r["target"]) if r["target"] is not None else None}
            for r in m.five_g if r["month"] <= month and r["operator"] in ("viettel", "vnpt")
            and r["stations_5g_on_air"] is not None]
    two = [{"thang": fmt.month_short(r["month"]), "nha_mang": fmt.OPERATOR_LABELS[r["operator"]],
            "ty_le": float(r["share_2g_only"])}
           for r in m.two_g if r["month"] <= month and r["share_2g_only"] is not None]
    svgs = {}
    if online:
        svgs["online"] = charts.to_svg(charts.online_remote_chart(online, targets, labels, current))
    if five:
        svgs["five_g"] = charts.to_svg(charts.stations_5g_chart(five, labels, current))
    if two:
        svgs["two_g"] = charts.to_svg(charts.share_2g_chart(two, labels, current))
    return svgs


def month_context(m: Marts, month: date, months: list[date], generated_at: datetime) -> dict[str, Any]:
    names = AgencyNames(m.agencies)
    groups = _scorecard_view(m, month, months)
    as_of = next((r["as_of_date"] for r in m.watchlist), None)
    watch_month = watchlist_month(months, as_of)
    return {
        "month": month,
        "month_label": fmt.month_label(month),
        "file": page_name(month),
        "previous": page_name(max((x for x in months if x < month), default=None)),
        "next": page_name(min((x for x in months if x > month), default=None)),
        "generated_at": fmt.vn_time(generated_at),
        "role": m.role,
        "groups": groups,
        "online": _online_view(m, month, names),
        "timeliness": _timeliness_view(m, month, names),
        "telecom": _telecom_view(m, month),
        "watchlist": _watchlist_view(m, month, names) if watch_month == month else None,
        "watchlist_month": fmt.month_label(watch_month) if watch_month else None,
        "watchlist_file": page_name(watch_month),
        "watchlist_as_of": fmt.day(as_of),
        "sources": _sources_view(m),
        "charts": _chart_svgs(m, month),
        "agency_reports": agency_work.agency_reports_view(m.agency_reports, month, names),
        "citizen_accounts": agency_work.citizen_accounts_view(m.citizen_accounts, month),
        "fee_reduced": outlook.fee_reduced_view(m.fee_reduced, month, lambda code: names.name(code, month)),
        # the forecast is a snapshot of the run's as-of day: on the watchlist's page, pointed to elsewhere
        "forecast": outlook.forecast_view(m.forecast) if watch_month == month else None,
        "forecast_month": fmt.month_label(watch_month) if watch_month and m.forecast else None,
        "forecast_file": page_name(watch_month),
    }


def watchlist_month(months: list[date], as_of: date | None) -> date | None:
    """The page that shows the watchlist: the latest reported month that has begun by the as-of
    day (the latest month when there is no watchlist row to date it)."""
    if not months:
        return None
    if as_of is None:
        return months[-1]
    started = [x for x in months if x <= as_of]
    return started[-1] if started else months[0]


def page_name(month: date | None) -> str | None:
    return f"{month:%Y-%m}.html" if month else None


# --------------------------------------------------------------------------------------------
# Entry point


def write_reports(warehouse_url: str, out_dir: str | Path) -> Path:
    """Write `out_dir/YYYY-MM.html` for every reported month and `out_dir/index.html`; return the
    index's path. Reads schema `marts` only, as role `ioc_reader`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    generated_at = datetime.now(fmt.VN)
    m = read_marts(warehouse_url)
    months = report_months(m.scorecard)
    index_rows = []
    for month in months:
        ctx = month_context(m, month, months, generated_at)
        write_page(out / ctx["file"], render("month.html.j2", ctx))
        index_rows.append({
            "label": ctx["month_label"], "file": ctx["file"],
            "groups": [{"number": g["number"], "status": g["status"], "status_label": g["status_label"],
                        "headline": g["headline"]} for g in ctx["groups"]],
        })
    index = out / "index.html"
    write_page(index, render("index.html.j2", {
        "months": list(reversed(index_rows)), "generated_at": fmt.vn_time(generated_at), "role": m.role,
        "breakthroughs": BREAKTHROUGHS,
        "auditors": (out.parent / "auditors" / "index.html").exists(),
    }))
    log.info("breakthrough report: %d month(s) written to %s", len(months), out)
    return index
