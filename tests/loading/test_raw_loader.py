"""The raw loader on a real PostgreSQL, in many small rounds: each version once, all or nothing.

`ROWS_PER_ROUND` and `FLUSH_BYTES` are made tiny so that a few dozen records take the paths a million
take (a block per record, a COPY → INSERT → TRUNCATE round every 7 rows, duplicates and refusals
spread over rounds).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from ioc_pipeline.config import VN
from ioc_pipeline.loading import raw_loader
from ioc_pipeline.loading.copy_binary import SIGNATURE, TRAILER, row_encoder
from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER
from ioc_pipeline.loading.raw_loader import load_batch
from ioc_pipeline.sources.formats import canonical_json, pseudonymise, record_hash
from tests.conftest import batch_row, scalar

KEY = b"test-key"


@pytest.fixture(autouse=True)
def small_rounds(monkeypatch):
    monkeypatch.setattr(raw_loader, "ROWS_PER_ROUND", 7)
    monkeypatch.setattr(raw_loader, "FLUSH_BYTES", 1)


def _dossier(i: int, **overrides) -> dict:
    day = datetime(2024, 7, 1) + timedelta(hours=7 * i)
    record = {
        "MaHoSo": f"000.00.13.H03-{day:%y%m%d}-{i:04d}", "MaTTHC": "1.001612", "MaDonViTiepNhan": "000.00.13.H03",
        "KenhThucHien": 2, "NoiNopHoSo": None, "LoaiDoiTuong": 1, "ChuHoSo": f"Nguyễn Văn Ánh {i}",
        "SoDinhDanh": f"0792010{i:05d}", "SoDienThoai": None, "NgayNopHoSo": f"{day:%Y%m%d%H%M%S}",
        "NgayTiepNhan": f"{day:%d/%m/%Y %H:%M:%S}", "NgayHenTra": None, "NgayKetThucXuLy": None, "NgayTra": None,
        "TrangThaiHoSo": 4, "DuocThanhToanTrucTuyen": 0, "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": 50000}],
        "TaiLieuNop": [], "DanhSachHoSoBoSung": [], "DanhSachGiayToKetQua": [],
        "NgayCapNhat": f"{day + timedelta(minutes=5):%Y%m%d%H%M%S}",
    }
    record.update(overrides)
    return record


def _records():
    """50 distinct dossiers; 10 of them delivered again later (other rounds); 3 unreadable; 1 not an object."""
    good = [_dossier(i) for i in range(50)]
    good[3]["GhiChu\t\"tab\\"] = "extra field, kept"
    records = list(good[:25]) + [dict(reversed(list(r.items()))) for r in good[:10]] + list(good[25:])
    records.insert(5, _dossier(90, NgayTiepNhan="31/02/2024 09:00:00"))
    records.insert(20, _dossier(91, MaTTHC=""))
    records.insert(40, _dossier(92, KenhThucHien="2"))
    records.insert(41, ["not", "an", "object"])
    return good, records


def test_a_batch_in_many_rounds_stores_each_version_once_exactly_as_sent(fresh):
    url, conn = fresh
    good, records = _records()
    result = load_batch(url.url, DOSSIER, iter(records), KEY)
    assert result.status == "success", result.error
    assert (result.counts.received, result.counts.loaded, result.counts.quarantined, result.counts.duplicate) \
        == (64, 50, 4, 10)
    rows = conn.execute("""select dossier_code, record_hash, source_updated_at, applicant_key, payload,
                                  batch_id, received_at from raw.one_stop_shop__dossier order by dossier_code""").fetchall()
    assert len(rows) == 50
    for record, (code, digest, updated_at, applicant_key, payload, batch_id, received_at) in zip(good, rows):
        assert code == record["MaHoSo"] and digest == record_hash(record)
        assert updated_at == datetime.strptime(record["NgayCapNhat"], "%Y%m%d%H%M%S").replace(tzinfo=VN)
        assert applicant_key == pseudonymise(record["SoDinhDanh"], KEY)
        assert payload == record and batch_id == result.batch_id and received_at.tzinfo is not None
    # the payload is the jsonb value json.dumps(record) gives, unknown fields included
    for record in good[:5]:
        assert scalar(conn, "select payload = %s::jsonb from raw.one_stop_shop__dossier where dossier_code = %s",
                      json.dumps(record, ensure_ascii=False), record["MaHoSo"])
    quarantined = conn.execute("select record_key, reason, content, record_hash from raw.quarantine "
                               "order by reason").fetchall()
    assert [(key, reason) for key, reason, _, _ in quarantined] == [
        (_dossier(92)["MaHoSo"], "KenhThucHien: not an integer: '2'"),
        (_dossier(90)["MaHoSo"], "NgayTiepNhan: impossible date: '31/02/2024 09:00:00'"),
        (_dossier(91)["MaHoSo"], "missing required field MaTTHC"),
        (None, "record is not a JSON object"),
    ]
    for key, _, content, digest in quarantined:
        assert json.loads(content) in records and record_hash(json.loads(content)) == digest
        assert content == canonical_json(json.loads(content))
    batch = batch_row(conn, result.batch_id)
    assert (batch["rows_received"], batch["rows_loaded"], batch["rows_quarantined"], batch["rows_duplicate"]) \
        == (64, 50, 4, 10)

    again = load_batch(url.url, DOSSIER, iter(records), KEY)
    assert (again.status, again.counts.loaded, again.counts.duplicate) == ("success", 0, 60)
    assert scalar(conn, "select count(*) from raw.quarantine") == 4


def test_a_source_failing_after_several_rounds_leaves_nothing(fresh):
    url, conn = fresh
    good, _ = _records()

    def failing():
        yield from good[:30]  # four rounds already inserted into raw, inside the transaction
        yield _dossier(95, MaTTHC="")
        raise ConnectionError("source went away")

    result = load_batch(url.url, DOSSIER, failing(), KEY)
    assert result.status == "failed" and result.error == "ConnectionError: source went away"
    assert result.counts.received == 31
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0
    assert scalar(conn, "select count(*) from raw.quarantine") == 0
    assert scalar(conn, "select count(*) from pg_stat_activity where datname = current_database() "
                        "and pid <> pg_backend_pid() and state <> 'idle'") == 0
    assert batch_row(conn, result.batch_id)["status"] == "failed"


def test_a_database_error_fails_the_batch_and_stops_reading_the_source(fresh):
    url, conn = fresh
    taken = []

    def endless():
        for i in range(100_000):
            taken.append(i)
            # PostgreSQL refuses a NUL character in text: the COPY fails on the server
            yield _dossier(i, MaHoSo=f"bad\x00code-{i}" if i == 20 else f"code-{i}")

    result = load_batch(url.url, DOSSIER, endless(), KEY)
    assert result.status == "failed" and "0x00" in result.error
    assert len(taken) < 1000  # the reading side stopped soon after the writer failed
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0


def test_schema_drift_over_many_rounds_loads_nothing(fresh):
    url, conn = fresh
    renamed = []
    for i in range(30):
        record = _dossier(i)
        record["NgayCapNhatMoi"] = record.pop("NgayCapNhat")
        renamed.append(record)
    result = load_batch(url.url, DOSSIER, iter(renamed), KEY)
    assert result.status == "failed"
    assert result.error == ("SchemaDrift: schema drift: required field(s) NgayCapNhat missing from all 30 "
                            "records received; nothing loaded")
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0
    assert scalar(conn, "select count(*) from raw.quarantine") == 0


def test_binary_copy_rows_read_back_as_the_values(db):
    values = [("Nguyễn Văn Ánh \t\\ \"x\"", datetime(2024, 7, 16, 10, 0, tzinfo=VN), None, 2024, 2**40,
               '{"b": [1, 2.5, null], "a": "Lệ phí"}'),
              (None, datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc), "x", -1, -2**63,
               b'{"z": true}'),
              ("", datetime(2000, 1, 1, tzinfo=timezone.utc), "", 0, 0, b"[]")]
    encode = row_encoder(["text", "timestamptz", "text", "int4", "int8", "jsonb"])
    with db.transaction():
        db.execute("create temp table t (a text, b timestamptz, c text, d integer, e bigint, f jsonb)")
        with db.cursor().copy("copy t from stdin (format binary)") as copy:
            copy.write(SIGNATURE + b"".join(encode(v) for v in values) + TRAILER)
        back = db.execute("select a, b, c, d, e, f from t").fetchall()
        db.execute("drop table t")
    assert [row[:5] for row in back] == [v[:5] for v in values]
    assert [row[5] for row in back] == [json.loads(v[5]) for v in values]
    with pytest.raises(ValueError, match="aware"):
        encode(("x", datetime(2024, 7, 16), None, 1, 1, "{}"))
    with pytest.raises(ValueError, match="no binary COPY encoder"):
        row_encoder(["text", "numeric"])


def test_a_version_delivered_twice_in_one_round_is_stored_once(fresh, monkeypatch):
    monkeypatch.setattr(raw_loader, "ROWS_PER_ROUND", 10_000)  # the whole batch in one INSERT
    url, conn = fresh
    good, records = _records()
    records.insert(12, dict(records[11]))  # also right next to each other
    result = load_batch(url.url, DOSSIER, iter(records), KEY)
    assert result.status == "success", result.error
    assert (result.counts.received, result.counts.loaded, result.counts.quarantined, result.counts.duplicate) \
        == (65, 50, 4, 11)
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 50


def test_stored_hashes_are_the_stdlib_canonical_json_hashes_raw_already_holds(fresh):
    """record_hash as the loader stores it (orjson bytes, inline COPY encoding) is the SHA-256 of the stdlib
    canonical text every existing raw row was hashed from, for Vietnamese text, floats of every kind,
    nested lists and nulls; so a re-delivered record is a duplicate, not a new version."""
    import hashlib

    extras = [
        {"GhiChu": "Hồ sơ được chuyển từ hệ thống cũ – Bà Rịa–Vũng Tàu", "Ngày": None},
        {"DiemDanhGia": [95.5, 1.0, 0.1, 1 / 3, -0.0, 1e-05, 1e16, 123456789012345.6, 5e-324, 2**63 - 1]},
        {"Cay": [[], [None, [1, [2.5, ["Đỗ Thị Ánh"]]]], {"b": {"a": [None]}, "A": {}}]},
        {"KyTu": "tab\t \"ngoặc\" \\ \u2028 😀 \x1f", "e-mail": "x+y@baria-vungtau.gov.vn", "v": "1.0000"},
    ]
    url, conn = fresh
    records = [_dossier(i, **extra) for i, extra in enumerate(extras)]
    result = load_batch(url.url, DOSSIER, iter(records), KEY)
    assert result.status == "success" and result.counts.loaded == len(records), result.error
    stored = dict(conn.execute("select dossier_code, record_hash from raw.one_stop_shop__dossier").fetchall())
    for record in records:
        before = hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                                .encode("utf-8")).hexdigest()
        assert stored[record["MaHoSo"]] == before
    again = load_batch(url.url, DOSSIER, iter([dict(reversed(list(r.items()))) for r in records]), KEY)
    assert (again.status, again.counts.loaded, again.counts.duplicate) == ("success", 0, len(records))
