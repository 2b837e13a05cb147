"""The report's charts: Vega-Altair specs rendered to SVG on the server by vl-convert.

Why server-side SVG rather than Altair's `inline=True` HTML (which embeds the vega/vega-lite/
vega-embed bundle that vl-convert ships, about 0.9 MB per page, and draws in the browser):

- the page holds no script at all: it opens offline in any browser, in a mail client or an intranet
  portal that blocks JavaScript, and the charts are in the document itself (in the DOM before any
  script could run), so print and "Save as PDF" always show them;
- no URL at all ends up in the page (the embedded bundle and the spec's `$schema` carry dozens of
  https strings, harmless but impossible to tell apart from a real request by reading the file);
- a month's page weighs tens of kilobytes instead of a megabyte per file.
What is given up is interactivity (tooltips, zoom), which a printed monthly report does not use;
every number a chart shows is also printed in a table beside it.

vl-convert renders with its bundled Vega-Lite (no network; `allowed_base_urls=[]` forbids loading
data from anywhere: every chart carries its data inline) and Vietnamese number formats (decimal
comma, dot for thousands).
"""

from __future__ import annotations

import re
from typing import Any

import altair as alt

FONT = "Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
# d3-format has no vi-VN locale: the Vietnamese conventions, spelled out.
VI_FORMAT_LOCALE = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]}
WIDTH = 620

# Series colours chosen to stay distinct in greyscale print as well (different lightness).
SCOPE_COLORS = {"Toàn tỉnh": "#08306b", "Cấp tỉnh": "#2171b5", "Cấp huyện": "#6baed6",
                "Cấp xã": "#fd8d3c"}
OPERATOR_COLORS = {"Viettel": "#b2182b", "VNPT": "#2166ac", "Tất cả nhà mạng": "#4d4d4d"}
TARGET_COLOR = "#d62728"

_XMLNS = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')


def _vl_version() -> str:
    """The Vega-Lite version Altair writes specs for, as vl-convert names it ('v6.4.1' -> 'v6_4')."""
    return "_".join(alt.SCHEMA_VERSION.split(".")[:2])


def _base_config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT, background="white").configure_axis(
        labelFontSize=11, titleFontSize=11, gridColor="#e6e6e6"
    ).configure_legend(
        labelFontSize=11, titleFontSize=11, orient="bottom", direction="horizontal", symbolSize=120
    ).configure_view(stroke=None).configure_title(fontSize=13, anchor="start")


def to_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an inline `<svg>` element (no XML namespace attributes: HTML needs none)."""
    import vl_convert as vlc

    spec: dict[str, Any] = _base_config(chart).to_dict()
    svg = vlc.vegalite_to_svg(spec, vl_version=_vl_version(), format_locale=VI_FORMAT_LOCALE,
                              allowed_base_urls=[])
    svg = _XMLNS.sub("", svg, count=2)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _month_axis(order: list[str]) -> alt.X:
    return alt.X("thang:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))


def online_remote_chart(series: list[dict], targets: list[dict], months: list[str],
                        current: str) -> alt.LayerChart:
    """Online-remote rate by month, province and levels, against the monthly target.

    series: {thang, pham_vi, ty_le}; targets: {thang, chi_tieu}; months: the x order; current:
    the report month (highlighted)."""
    scopes = [s for s in SCOPE_COLORS if any(r["pham_vi"] == s for r in series)]
    color = alt.Color("pham_vi:N", title="Phạm vi", sort=scopes,
                      scale=alt.Scale(domain=scopes, range=[SCOPE_COLORS[s] for s in scopes]))
    y = alt.Y("ty_le:Q", title="Tỷ lệ hồ sơ trực tuyến từ xa",
              scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%", tickCount=5))
    base = alt.Chart(alt.Data(values=series))
    is_province = alt.datum.pham_vi == "Toàn tỉnh"
    lines = alt.layer(
        base.transform_filter(~is_province).mark_line(strokeWidth=1.6, strokeDash=[5, 3]).encode(
            x=_month_axis(months), y=y, color=color),
        base.transform_filter(is_province).mark_line(strokeWidth=3.5).encode(
            x=_month_axis(months), y=y, color=color),
    )
    points = base.mark_point(filled=True, size=45).encode(x=_month_axis(months), y=y, color=color)
    marker = alt.Chart(alt.Data(values=[{"thang": current}])).mark_rule(
        color="#bbbbbb", strokeWidth=18, opacity=0.35).encode(x=_month_axis(months))
    layers = [marker, lines, points]
    if targets:
        tbase = alt.Chart(alt.Data(values=targets))
        ty = alt.Y("chi_tieu:Q", scale=alt.Scale(domain=[0, 1]))
        layers += [
            tbase.mark_tick(color=TARGET_COLOR, thickness=3, size=34).encode(x=_month_axis(months), y=ty),
            tbase.mark_text(color=TARGET_COLOR, dy=-9, fontSize=10, fontWeight="bold").encode(
                x=_month_axis(months), y=ty, text=alt.Text("chi_tieu:Q", format=".0%")),
        ]
    return alt.layer(*layers).properties(
        width=WIDTH, height=240,
        title=alt.Title("Tỷ lệ hồ sơ trực tuyến từ xa theo tháng so với chỉ tiêu",
                        subtitle="Vạch đỏ: chỉ tiêu của tháng (65% đến tháng 9/2024, 70% từ tháng 10/2024); "
                                 "cột xám: tháng báo cáo"),
    )


def stations_5g_chart(rows: list[dict], months: list[str], current: str) -> alt.LayerChart:
    """5G stations on air by month and operator (bars) against the plan (black ticks).

    rows: {thang, nha_mang, so_tram, ke_hoach} for viettel and vnpt."""
    operators = [o for o in ("Viettel", "VNPT") if any(r["nha_mang"] == o for r in rows)]
    x = _month_axis(months)
    offset = alt.XOffset("nha_mang:N", sort=operators)
    color = alt.Color("nha_mang:N", title="Nhà mạng", sort=operators,
                      scale=alt.Scale(domain=operators, range=[OPERATOR_COLORS[o] for o in operators]))
    base = alt.Chart(alt.Data(values=rows))
    bars = base.mark_bar().encode(x=x, xOffset=offset, color=color,
                                  y=alt.Y("so_tram:Q", title="Số trạm 5G đang phát sóng"))
    labels = base.mark_text(dy=-5, fontSize=9).encode(x=x, xOffset=offset, y="so_tram:Q",
                                                      text=alt.Text("so_tram:Q", format=",d"))
    plan = base.transform_filter("isValid(datum.ke_hoach)").mark_tick(
        color="black", thickness=2.5).encode(x=x, xOffset=offset, y="ke_hoach:Q")
    marker = alt.Chart(alt.Data(values=[{"thang": current}])).mark_rule(
        color="#bbbbbb", strokeWidth=40, opacity=0.35).encode(x=x)
    return alt.layer(marker, bars, labels, plan).properties(
        width=WIDTH, height=220,
        title=alt.Title("Trạm 5G đang phát sóng theo nhà mạng so với kế hoạch",
                        subtitle="Vạch đen: kế hoạch của tháng (12/2024: Viettel 140, VNPT 60, tổng 200 trạm)"),
    )


def share_2g_chart(rows: list[dict], months: list[str], current: str) -> alt.LayerChart:
    """Share of 2G-only subscribers by month and operator. rows: {thang, nha_mang, ty_le}."""
    operators = [o for o in OPERATOR_COLORS if any(r["nha_mang"] == o for r in rows)]
    color = alt.Color("nha_mang:N", title="Nhà mạng", sort=operators,
                      scale=alt.Scale(domain=operators, range=[OPERATOR_COLORS[o] for o in operators]))
    x = _month_axis(months)
    y = alt.Y("ty_le:Q", title="Tỷ lệ thuê bao chỉ dùng 2G", axis=alt.Axis(format=".1%"))
    base = alt.Chart(alt.Data(values=rows))
    marker = alt.Chart(alt.Data(values=[{"thang": current}])).mark_rule(
        color="#bbbbbb", strokeWidth=18, opacity=0.35).encode(x=x)
    return alt.layer(
        marker,
        base.mark_line(strokeWidth=2).encode(x=x, y=y, color=color),
        base.mark_point(filled=True, size=40).encode(x=x, y=y, color=color),
    ).properties(width=WIDTH, height=180,
                 title=alt.Title("Tỷ lệ thuê bao chỉ sử dụng điện thoại 2G theo tháng"))
