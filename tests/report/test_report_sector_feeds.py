"""The report's source table shows a declared sector feed with its sector, owner and SLA; the B1 indicator
"sources integrated / sources declared" never makes a month a report month on its own."""

from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

from ioc_pipeline.report.breakthroughs import _sources_view, report_months


def _row(**values):
    row = {"source": "x", "expected_cadence": "daily", "last_attempt_at": None, "last_success_at": None,
           "last_status": None, "rows_loaded_last_success": None, "rows_quarantined_last_success": None,
           "is_fresh": False, "dq_status": None, "latest_report_on_time": None, "source_kind": "system",
           "owner_agency": None, "sector": None, "freshness_hours": 48}
    row.update(values)
    return row


def test_a_feed_row_says_its_sector_owner_and_sla():
    feed = _row(source="environment_air_quality", expected_cadence="hourly", is_fresh=True, dq_status="fail",
                last_status="success", last_success_at=datetime(2024, 9, 2, 14, tzinfo=timezone.utc),
                rows_loaded_last_success=1234, source_kind="sector_feed", owner_agency="000.00.17.H03",
                sector="environment", freshness_hours=3)
    system = _row(source="one_stop_shop")
    shown = {v["code"]: v for v in _sources_view(SimpleNamespace(sources=[system, feed]))}
    assert shown["environment_air_quality"]["feed"] == \
        "Dữ liệu chuyên ngành môi trường · đơn vị 000.00.17.H03 · kịp thời trong 3 giờ"
    assert shown["environment_air_quality"]["cadence"] == "Hằng giờ"
    assert shown["environment_air_quality"]["last_success"] == "02/09/2024 21:00"
    assert shown["environment_air_quality"]["rows_loaded"] == "1.234"
    assert shown["environment_air_quality"]["fresh"] is True and shown["environment_air_quality"]["dq"] == "fail"
    assert shown["one_stop_shop"]["feed"] is None
    # an unlisted sector shows its code
    other = _sources_view(SimpleNamespace(sources=[_row(source_kind="sector_feed", sector="fisheries",
                                                        owner_agency="000.00.14.H03", freshness_hours=30)]))
    assert other[0]["feed"] == "Dữ liệu chuyên ngành fisheries · đơn vị 000.00.14.H03 · kịp thời trong 30 giờ"


def test_the_declared_sources_share_alone_is_not_a_report_month():
    rows = [{"month": date(2024, 9, 1), "indicator_code": "b3_online_remote_rate", "actual": 0.7},
            {"month": date(2024, 11, 1), "indicator_code": "b1_sources_declared_integrated", "actual": 0.5}]
    assert report_months(rows) == [date(2024, 9, 1)]
