"""Reading the sources' values: both date formats, impossible dates, keyed hashes, record hashes."""

import math
import random
import struct
from datetime import datetime

import pytest

from ioc_pipeline.config import VN
from ioc_pipeline.sources.formats import (
    UnreadableValue,
    canonical_json,
    canonical_json_bytes,
    check_source_datetime,
    parse_source_datetime,
    pseudonymise,
    record_hash,
)

KEY = b"test-key"


def test_both_date_formats_mean_the_same_vietnam_time():
    compact = parse_source_datetime("20240715081500")
    slashed = parse_source_datetime("15/07/2024 08:15:00")
    assert compact == slashed == datetime(2024, 7, 15, 8, 15, tzinfo=VN)
    assert compact.utcoffset().total_seconds() == 7 * 3600


@pytest.mark.parametrize("value, reason", [
    ("20240231081500", "impossible date"),
    ("31/02/2024 08:00:00", "impossible date"),
    ("2024-07-15T08:15:00", "unknown date format"),
    ("20240715", "unknown date format"),
])
def test_unreadable_dates_are_refused_with_a_reason(value, reason):
    with pytest.raises(UnreadableValue, match=reason):
        parse_source_datetime(value)


def test_pseudonymise_is_keyed_normalised_and_never_the_number():
    a = pseudonymise("079 201 012 345", KEY)
    assert a == pseudonymise("079201012345", KEY)
    assert a != pseudonymise("079201012345", b"other-key")
    assert len(a) == 64 and "079201012345" not in a
    assert pseudonymise(None, KEY) is None and pseudonymise("  ", KEY) is None


def test_record_hash_ignores_key_order():
    assert record_hash({"a": 1, "b": [1, 2]}) == record_hash({"b": [1, 2], "a": 1})
    assert record_hash({"a": 1}) != record_hash({"a": 2})


# Record hashes computed by the loader before canonical JSON went through orjson (commit 868c4ab,
# `hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
# .encode("utf-8")).hexdigest()`). Raw holds hashes computed that way: if these change, every
# re-delivered record becomes a new version instead of a duplicate.
PINNED_RECORDS = {
    "dossier": {
        "MaHoSo": "000.00.13.H03-240715-0001", "MaTTHC": "1.001612", "MaDonViTiepNhan": "000.00.13.H03",
        "KenhThucHien": 2, "NoiNopHoSo": None, "LoaiDoiTuong": 1, "ChuHoSo": "Nguyễn Thị Hương",
        "SoDinhDanh": "079201012345", "SoDienThoai": None, "NgayNopHoSo": "20240715081500",
        "NgayTiepNhan": "15/07/2024 09:00:00", "NgayHenTra": "20240719170000", "NgayKetThucXuLy": None,
        "NgayTra": None, "TrangThaiHoSo": 4, "DuocThanhToanTrucTuyen": 0,
        "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí đăng ký doanh nghiệp", "Gia": 50000}],
        "TaiLieuNop": [{"TenTepDinhKem": "Giấy đề nghị đăng ký doanh nghiệp", "DuocSoHoa": 1,
                        "DuocLayTuKhoDMQG": 0}],
        "DanhSachHoSoBoSung": [{"NgayBoSung": "20240716100000", "NgayTiepNhanBoSung": None,
                                "NgayHenTraMoi": None}],
        "DanhSachGiayToKetQua": [{"TenGiayTo": "Giấy chứng nhận đăng ký doanh nghiệp",
                                  "DuongDanTepTinKetQua": "https://dichvucong.baria-vungtau.gov.vn/ketqua/1.pdf"}],
        "NgayCapNhat": "20240716100000", "GhiChu": "Hồ sơ được chuyển từ hệ thống cũ", "DaThanhToan": True,
    },
    "floats": {"group": "online", "year": 2024, "month": 9, "departmentCode": "000.00.13.H03",
               "metric": {"code": "TTHC_ONLINE", "ratio": 95.5, "score": 1.0, "maxScore": 10.0, "tiny": 1e-05,
                          "small": 0.0001234, "huge": 1e16, "big": 123456789012345.6, "third": 1 / 3,
                          "negzero": -0.0, "e308": 1.7976931348623157e308, "denormal": 5e-324, "null": None}},
    "escapes": {"quote\"key": "a \"quoted\" \\ back\\slash", "tab\tnew\nline\r": "\x00\x01\x1f\x7f",
                "Ngày": "\u2028\u2029\ufeff 😀", "Z": [True, False, None], "a": {"": [], "b": {}},
                "e-mail": "x+y@example.vn", "version": "1.0000"},
    "big_integers": {"i64": 2**63 - 1, "u64": 2**64 - 1, "beyond": 2**64, "negative": -2**63 - 1},
    "list": [3, "ba", {"b": 2, "a": 1}],
}
PINNED_HASHES = {
    "dossier": "2b3011f98565c03d14d46c2061fc53b6339b583ac8ed19f90f7b1e2a092fd26f",
    "floats": "d6c6371fa144fefc18717e993a8501ddd8a3247858415195fbe840bf37b36a5e",
    "escapes": "a5b2a4938ed549c05ef8df28e521b7779c09dc3ae9c598544ce232f357973c8f",
    "big_integers": "14c1386c72b42fe868b11ee58cdf832416db1502c40322bd608b9a1af5943a9f",
    "list": "92bb608bc59ed6581b09f8d63b99a5a17ad9676dfa2fb20078579f03221f0097",
}


@pytest.mark.parametrize("name", sorted(PINNED_HASHES))
def test_record_hashes_are_the_ones_raw_already_holds(name):
    record = PINNED_RECORDS[name]
    assert record_hash(record) == PINNED_HASHES[name]
    assert canonical_json_bytes(record) == canonical_json(record).encode("utf-8")


def _random_json(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 7, 2**31, -2**53, 2**63 - 1, 2**64 - 1, rng.randrange(-10**6, 10**6)])
    if kind == 3:  # floats across every magnitude, where Python and orjson could write them differently
        return rng.choice([rng.uniform(-1e6, 1e6), rng.random() * 10.0 ** rng.randrange(-30, 30),
                           struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0],
                           round(rng.uniform(0, 100), rng.randrange(4))])
    if kind in (4, 5):
        alphabet = "aZ09 .-+e\"\\/\t\n\x00\x1f\x7fàăâđêôơưạảấầẩẫậĐỨ😀\u2028"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
    if kind in (6, 7):
        return {"".join(rng.choice("abcÀàđĐ_ 9") for _ in range(rng.randrange(6))): _random_json(rng, depth + 1)
                for _ in range(rng.randrange(6))}
    return [_random_json(rng, depth + 1) for _ in range(rng.randrange(5))]


def test_canonical_bytes_are_the_stdlib_text_for_any_json_value():
    rng = random.Random(20241231)
    values = [_random_json(rng) for _ in range(20_000)]
    values = [v for v in values if not _has_non_finite(v)]
    assert all(canonical_json_bytes(v) == canonical_json(v).encode("utf-8") for v in values)


def _has_non_finite(value) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    return False


def test_what_is_not_json_is_decided_by_the_stdlib_as_before():
    from datetime import date

    for value in ({"when": date(2024, 7, 15)}, {"set": {1, 2}}, {1: "int key"}):
        try:
            expected = canonical_json(value).encode("utf-8")
        except TypeError:
            with pytest.raises(TypeError):
                canonical_json_bytes(value)
        else:
            assert canonical_json_bytes(value) == expected


@pytest.mark.parametrize("value, expected", [
    # keyed hashes computed with the code of commit 868c4ab (hmac.new(...).hexdigest() after re.sub)
    ("079201012345", "70d66e9471ae9d2c7c26187c715bf9427fc6c41eced98ff57ea77e53d53173d8"),
    ("\u00a0079 201 012 345\t", "70d66e9471ae9d2c7c26187c715bf9427fc6c41eced98ff57ea77e53d53173d8"),
    ("ab12cd", "a1266c27c99126c79b5423dbb94182042863942ad8de509218ebfbee7d7c47c1"),
    (79201012345, "5efd6ac0650df568bcd50e4e426e786183b61184f138989e6689df0df8a75274"),
    ("３５12", "297085f42868736c8bcc917217f4ac7cad059528a89f669f3603ad41122ffdc0"),
])
def test_applicant_keys_are_the_ones_raw_already_holds(value, expected):
    assert pseudonymise(value, KEY) == expected


@pytest.mark.parametrize("value, expected", [
    ("２０２４０７１５０８１５００", datetime(2024, 7, 15, 8, 15, tzinfo=VN)),  # full-width digits, as before
    (" 20240715081500 ", datetime(2024, 7, 15, 8, 15, tzinfo=VN)),
    ("20240715240000", "impossible date"),
    ("20240715235960", "impossible date"),
    ("00000715000000", "impossible date"),
    (20240715081500, "date is not a string"),
])
def test_the_fast_date_path_reads_and_refuses_as_the_general_one(value, expected):
    if isinstance(expected, datetime):
        assert parse_source_datetime(value) == expected
    else:
        with pytest.raises(UnreadableValue, match=expected):
            parse_source_datetime(value)


def test_checking_a_date_refuses_exactly_what_parsing_refuses():
    days = [f"{y}{m}{d}" for y in ("0000", "0001", "1900", "2023", "2024", "9999")
            for m in ("00", "01", "02", "04", "12", "13") for d in ("00", "01", "28", "29", "30", "31", "32")]
    times = ["000000", "235959", "240000", "236000", "235960", "999999", "120000"]
    others = ["", " ", "2024071508150", "202407150815000", "２０２４０７１５０８１５００", "15/07/2024 08:15:00",
              "31/02/2024 08:00:00", " 20240715081500", "2024-07-15T08:15:00", None, 20240715081500, ["x"]]
    for value in [day + time for day in days for time in times] + others:
        try:
            parse_source_datetime(value)
        except UnreadableValue as exc:
            with pytest.raises(UnreadableValue) as checked:
                check_source_datetime(value)
            assert str(checked.value) == str(exc), value
        else:
            check_source_datetime(value)


@pytest.mark.parametrize("key", [b"", b"k", b"test-key", b"x" * 64, b"y" * 65, bytes(range(256)) * 2])
def test_pseudonymise_is_hmac_sha256_for_any_key_length(key):
    import hashlib
    import hmac

    for identifier in ("079201012345", "3500000001", "ab12CD"):
        assert pseudonymise(identifier, key) == hmac.new(key, identifier.upper().encode(), hashlib.sha256).hexdigest()
