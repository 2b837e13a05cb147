"""The dossier client's page decoding (orjson) reads every page exactly as `response.json()` did."""

from __future__ import annotations

import math
import random
import struct

import pytest
import requests

from ioc_pipeline.sources.one_stop_shop import _DIGITS_AS_ZEROS, _NINETEEN_DIGITS, decode_page


def _response(body: bytes, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    response.headers["Content-Type"] = content_type
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


def _same(a, b) -> bool:
    """Equal, with the types (1 vs 1.0 vs True) and NaN taken into account."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or str(a) == str(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


PAGES = [
    b'{"total": 2, "items": [{"MaHoSo": "A-1", "ChuHoSo": "Nguy\xe1\xbb\x85n V\xc4\x83n \xc3\x81nh", '
    b'"Gia": 50000, "x": 1.5, "y": -0.0, "z": 1e-05, "t": true, "n": null, "e": "\\u00e9\\n\\"", "l": []}]}',
    b'{"items": [{"big": 18446744073709551616, "neg": -9223372036854775809, "ok": 9223372036854775807}]}',
    b'{"items": [{"digits": "1234567890123456789012"}]}',
    b'{"items": [{"a": 1, "a": 2}]}',
    b'{"items": [{"nan": NaN, "inf": Infinity}]}',           # not JSON; Python's decoder reads it
    b'{"items": [{"s": "\\ud800"}]}',                         # lone surrogate: Python's decoder reads it
    b'{"items": [1e400]}',
    b'\xef\xbb\xbf{"items": []}',                              # BOM
    b'{"items": [{"bad": "\xff"}]}',                           # invalid UTF-8
    b'{"items": [',                                           # truncated
]


@pytest.mark.parametrize("body", PAGES)
@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "application/json; charset=latin-1"])
def test_a_page_decodes_as_response_json_did(body, content_type):
    if b"NaN" in body or b"1e400" in body:
        # not JSON; Python reads it, and the batch used to fail when jsonb refused the payload
        with pytest.raises(ValueError, match="NaN or Infinity"):
            decode_page(_response(body, content_type))
        return
    try:
        expected = _response(body, content_type).json()
    except ValueError as exc:
        with pytest.raises(ValueError):
            decode_page(_response(body, content_type))
        assert isinstance(exc, ValueError)
    else:
        assert _same(decode_page(_response(body, content_type)), expected)


def test_random_numbers_decode_as_response_json_did():
    rng = random.Random(5)
    numbers = []
    for _ in range(20_000):
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            numbers.append(repr(x))
        numbers.append(str(rng.randrange(-10**18 + 1, 10**18)))
        numbers.append(f"{rng.random() * 10 ** rng.randrange(-30, 30):.{rng.randrange(1, 18)}g}")
        numbers.append(f"{rng.randrange(10**6)}.{rng.randrange(10**6):06d}e{rng.randrange(-40, 40)}")
    numbers = [n for n in numbers if _NINETEEN_DIGITS not in n.encode().translate(_DIGITS_AS_ZEROS)]
    assert len(numbers) > 70_000
    body = ("[" + ",".join(numbers) + "]").encode()
    assert _NINETEEN_DIGITS not in body.translate(_DIGITS_AS_ZEROS)  # all of it is read by orjson
    assert _same(decode_page(_response(body)), _response(body).json())
