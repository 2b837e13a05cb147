"""`sector_feed_record`, the feed rows of `source_status` and the B1 indicator "sources integrated / sources
declared", built by the real `dbt build` from feeds loaded through the real loader, as of 2/9/2024.

Three declared feeds (file drops in a temp folder):

- test_air (hourly, SLA 3 h, JSON; `reporter_phone` personal): batch 1 = A@01 pm25 10, B@01 pm25 20;
  batch 2 = A@01 pm25 11 (a new version), B@01 unchanged (duplicate), A@02 pm25 12.
  Mart: A@01 -> pm25 11, 2 versions; B@01 and A@02 -> 1 version each; no reporter_phone above raw.
  Its last success is set to finish 2/9 14:00 UTC: the reference moment as of 2/9 is
  least(now, start of 3/9 in Vietnam = 2/9 17:00 UTC), 3 h before = 14:00: fresh (inclusive).
- test_beds (daily, SLA 48 h, CSV): one record; its load set to finish 31/8 16:59 UTC, one minute
  older than 48 h before 2/9 17:00 UTC: stale.
- test_schools (monthly): declared, never loaded: not fresh.

No core system was loaded (4 rows, none fresh): sources integrated / declared = 1 / 7 for September
(no target: khong_co_chi_tieu); b1_sources_integrated, over the core systems only, stays 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.feeds.spec import SectorFeed
from ioc_pipeline.sources.formats import pseudonymise
from ioc_pipeline.tasks.sector_feeds import load_feed, sync_declarations
from tests.conftest import make_database

AS_OF = "2024-09-02"


def _feed(name, cadence, sla, fmt, folder, columns, keys, ts):
    return SectorFeed.model_validate({
        "name": name, "owner_agency": "000.00.17.H03", "sector": "environment", "description": name,
        "source": {"file_drop": f"{folder}/{name}_*.{fmt}"}, "format": fmt, "key_columns": keys,
        "timestamp_column": ts, "cadence": cadence, "freshness_sla_hours": sla, "columns": columns})


def _dbt_build(url, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **config.QUIET_ENV, **url.dbt_env()}
    command = [str(Path(sys.executable).parent / "dbt"), "build", "--vars", json.dumps({"as_of_date": AS_OF}),
               "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
               "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=config.DBT_PROJECT_DIR)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    url, drop = make_database("ioc_feed_marts")
    tmp = tmp_path_factory.mktemp("feeds")
    try:
        air = _feed("test_air", "hourly", 3, "json", tmp,
                    {"station": {"type": "string"}, "at": {"type": "timestamp"}, "pm25": {"type": "number"},
                     "reporter_phone": {"type": "string", "personal": True}}, ["station", "at"], "at")
        beds = _feed("test_beds", "daily", 48, "csv", tmp,
                     {"facility": {"type": "string"}, "day": {"type": "date"}, "beds": {"type": "integer"}},
                     ["facility", "day"], "day")
        schools = _feed("test_schools", "monthly", 1080, "csv", tmp,
                        {"school": {"type": "string"}, "month": {"type": "date"}}, ["school", "month"], "month")
        sync_declarations(url.url, [air, beds, schools])
        phone = "0901234567"
        reading = lambda s, h, v: {"station": s, "at": f"2024-09-02T{h:02d}:00:00+07:00", "pm25": v,  # noqa: E731
                                   "reporter_phone": phone}
        (tmp / "test_air_1.json").write_text(json.dumps([reading("A", 1, 10), reading("B", 1, 20)]))
        first = load_feed(url.url, air)
        (tmp / "test_air_1.json").write_text(json.dumps([reading("A", 1, 11), reading("B", 1, 20),
                                                         reading("A", 2, 12)]))
        second = load_feed(url.url, air)
        (tmp / "test_beds_1.csv").write_text("facility,day,beds\nBV-1,2024-09-02,100\n")
        beds_run = load_feed(url.url, beds)
        assert [r.batch.counts.loaded for r in (first, second, beds_run)] == [2, 2, 1]
        with psycopg.connect(url.url, autocommit=True) as conn:
            conn.execute("""update audit.load_batch set started_at = %s, finished_at = %s where batch_id = %s""",
                         ("2024-09-02 09:59+00", "2024-09-02 10:00+00", first.batch.batch_id))
            conn.execute("""update audit.load_batch set started_at = %s, finished_at = %s where batch_id = %s""",
                         ("2024-09-02 13:59+00", "2024-09-02 14:00+00", second.batch.batch_id))
            conn.execute("""update audit.load_batch set started_at = %s, finished_at = %s where batch_id = %s""",
                         ("2024-08-31 16:58+00", "2024-08-31 16:59+00", beds_run.batch.batch_id))
            assert phone in json.dumps(conn.execute("select payload from raw.sector_feed_record limit 1").fetchone()[0])
        result = _dbt_build(url, tmp)
        assert result.returncode == 0, result.stdout[-6000:]
        with psycopg.connect(url.url, autocommit=True) as conn:
            yield conn, first, second
    finally:
        drop()


def test_the_mart_keeps_the_latest_version_per_key(built):
    conn, first, second = built
    rows = conn.execute("""select feed_name, record_key, record->>'pm25', versions, observed_at,
                                  first_seen_at, last_seen_at, record ? 'reporter_phone'
                             from marts.sector_feed_record order by feed_name, record_key""").fetchall()
    # The personal column leaves raw only as its keyed hash (the loader's HMAC with PII_HASH_KEY).
    hashes = {h for (h,) in conn.execute("""select record->>'reporter_phone_key' from marts.sector_feed_record
                                             where feed_name = 'test_air'""")}
    assert hashes == {pseudonymise("0901234567", config.pii_hash_key())}
    received = dict(conn.execute("select batch_id, received_at from raw.sector_feed_record group by 1, 2").fetchall())
    t1, t2 = received[first.batch.batch_id], received[second.batch.batch_id]
    assert rows[:3] == [
        ("test_air", "A|2024-09-02T01:00:00+07:00", "11", 2, "2024-09-02T01:00:00+07:00", t1, t2, False),
        ("test_air", "A|2024-09-02T02:00:00+07:00", "12", 1, "2024-09-02T02:00:00+07:00", t2, t2, False),
        ("test_air", "B|2024-09-02T01:00:00+07:00", "20", 1, "2024-09-02T01:00:00+07:00", t1, t1, False),
    ]
    assert [(r[0], r[1], r[3], r[4]) for r in rows[3:]] == [("test_beds", "BV-1|2024-09-02", 1, "2024-09-02")]
    assert conn.execute("select distinct sector, owner_agency from marts.sector_feed_record").fetchall() == [
        ("environment", "000.00.17.H03")]


def test_source_status_has_one_row_per_declared_feed(built):
    conn, *_ = built
    rows = conn.execute("""select source, source_kind, expected_cadence, freshness_hours, is_fresh, last_status,
                                  rows_loaded_last_success, dq_status, last_success_at::text
                             from marts.source_status order by source_kind, source""").fetchall()
    assert rows[:3] == [
        ("test_air", "sector_feed", "hourly", 3, True, "success", 2, "pass", "2024-09-02 14:00:00+00"),
        ("test_beds", "sector_feed", "daily", 48, False, "success", 1, "pass", "2024-08-31 16:59:00+00"),
        ("test_schools", "sector_feed", "monthly", 1080, False, None, None, None, None),
    ]
    assert [(r[0], r[1], r[4]) for r in rows[3:]] == [
        ("dvc_portal", "system", False), ("one_stop_shop", "system", False), ("operator_viettel", "system", False),
        ("operator_vnpt", "system", False)]


def test_b1_sources_integrated_over_sources_declared(built):
    conn, *_ = built
    rows = {code: (actual, status) for code, actual, status in conn.execute(
        """select indicator_code, actual, status from marts.breakthrough_scorecard
            where month = '2024-09-01' and indicator_code like 'b1_sources%'""")}
    actual, status = rows["b1_sources_declared_integrated"]
    assert round(actual * 7, 12) == 1 and status == "khong_co_chi_tieu"  # 1 fresh of 7 declared
    assert rows["b1_sources_integrated"] == (Decimal("0"), "chua_dat")  # core systems only
    assert conn.execute("""select count(*) from marts.breakthrough_scorecard
                            where indicator_code = 'b1_sources_declared_integrated'""").fetchone()[0] == 1


def test_the_report_lists_the_feeds_in_its_source_section(built):
    """The leaders' month page, rendered from these marts (as ioc_reader): a row per feed beside the systems."""
    import re
    from datetime import date, datetime

    from ioc_pipeline.report import fmt
    from ioc_pipeline.report.breakthroughs import month_context, read_marts
    from ioc_pipeline.report.render import render

    conn, *_ = built
    info = conn.info
    url = f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"
    september = date(2024, 9, 1)
    html = render("month.html.j2", month_context(read_marts(url), september, [september], datetime.now(fmt.VN)))
    table = html[html.index('<table id="sources">'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r'<tr data-source="([^"]+)">(.*?)</tr>', table, re.S)
    assert [source for source, _ in rows] == ["dvc_portal", "one_stop_shop", "operator_viettel", "operator_vnpt",
                                              "test_air", "test_beds", "test_schools"]
    air = dict(rows)["test_air"]
    assert "Dữ liệu chuyên ngành môi trường · đơn vị 000.00.17.H03 · kịp thời trong 3 giờ" in air
    assert "Hằng giờ" in air and "02/09/2024 21:00" in air  # 14:00 UTC in Vietnam time
