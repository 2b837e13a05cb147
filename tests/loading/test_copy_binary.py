"""The binary COPY row encoder writes, with its inline fast paths, exactly what each column's encoder writes.

No database: the bytes are compared with the per-value encoders (`ENCODERS`), whose output PostgreSQL
reads back in tests/loading/test_raw_loader.py::test_binary_copy_rows_read_back_as_the_values.
"""

from __future__ import annotations

import struct
from datetime import datetime, timezone

import pytest

from ioc_pipeline.config import VN
from ioc_pipeline.loading.copy_binary import ENCODERS, NULL, row_encoder

TYPES = ["text", "timestamptz", "varchar", "int4", "int8", "jsonb"]
ROWS = [
    ("Nguyễn Thị Hương – Lệ phí đăng ký 😀", datetime(2024, 7, 16, 10, 0, tzinfo=VN), "000.00.13.H03", 4, 2**40,
     '{"TenPhiLePhi":"Lệ phí","Gia":50000.5,"x":[null,[1,[2]]]}'.encode("utf-8")),
    ("", datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc), "", 0, -2**63, "[]"),
    (None, None, None, None, None, None),
    (12345, datetime(2000, 1, 1, tzinfo=timezone.utc), 7, -1, 0, b"{}"),  # ints into text columns: str(value)
    ("tab\t back\\slash \"q\"\n", datetime(2024, 2, 29, tzinfo=VN), "ĐỨ", 2**31 - 1, 2**63 - 1, '"Ngày"'),
]


def _expected(values) -> bytes:
    return struct.pack("!h", len(values)) + b"".join(
        NULL if value is None else ENCODERS[name](value) for name, value in zip(TYPES, values))


@pytest.mark.parametrize("values", ROWS)
def test_a_row_is_the_column_encoders_bytes(values):
    assert row_encoder(TYPES)(values) == _expected(values)


@pytest.mark.parametrize("column, value, error", [
    (0, True, TypeError), (0, 1.5, TypeError), (0, b"bytes", TypeError), (1, datetime(2024, 7, 16), ValueError),
    (3, "4", TypeError), (3, False, TypeError), (5, 3, AttributeError),
])
def test_values_of_the_wrong_type_are_still_refused(column, value, error):
    values = list(ROWS[0])
    values[column] = value
    with pytest.raises(error):
        row_encoder(TYPES)(values)


def test_the_number_of_values_must_match_the_columns():
    with pytest.raises(ValueError, match="5 values for 6 columns"):
        row_encoder(TYPES)(ROWS[0][:5])
