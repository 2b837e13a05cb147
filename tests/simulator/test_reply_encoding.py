"""The simulator's replies are the standard library's JSON bytes, whichever encoder wrote them.

`ioc_simulator.server.encode_reply` writes plain JSON values with orjson and reshapes the text into
`json.dumps(payload, ensure_ascii=False)`'s; anything else goes to `json.dumps` itself. The contract's
bytes must not change with it: checked for every code point, for values orjson would write or refuse
differently, and for real pages served over HTTP in both of the server's modes.
"""

from __future__ import annotations

import enum
import json
import random
from datetime import datetime

import pytest
import requests

from ioc_simulator.dossiers import generate_dossiers
from ioc_simulator.faults import Faults
from ioc_simulator.server import SimulatorServer, encode_reply, plain_json


def _stdlib(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _same(value, plain=None) -> None:
    try:
        ours = encode_reply(value, plain)
    except Exception as exc:  # noqa: BLE001 - compared with the standard library's own failure
        ours = repr(exc)
    try:
        theirs = _stdlib(value)
    except Exception as exc:  # noqa: BLE001
        theirs = repr(exc)
    assert ours == theirs, value


def test_every_code_point_in_keys_and_values_is_written_as_the_standard_library_does():
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for i in range(0, len(chars), 4000):
        chunk = "".join(chars[i:i + 4000])
        value = {chunk[:64]: [chunk, {"k, \": [x]": chunk[::-1]}], "n": None}
        assert plain_json(value)
        _same(value)


class Colour(enum.IntEnum):
    RED = 1


class Text(str):
    pass


ODD = [1.0, 0.1, -0.0, 1e-05, 1e16, 2.5e-07, float("nan"), float("inf"), -float("inf"),
       2**63, -2**63, 2**64 - 1, 2**64, 2**70, -2**64, True, False, None, "", "\ud800", Colour.RED, Text("x"),
       {1: "int key"}, {None: 1}, (1, 2), [], {}, [[]], {"a": {}}, json.loads("[" * 40 + "1" + "]" * 40)]


@pytest.mark.parametrize("value", ODD, ids=[repr(v)[:30] for v in ODD])
def test_values_orjson_writes_or_refuses_differently_keep_the_standard_library_bytes(value):
    _same(value)
    _same({"x": value, "list": [value, "a,b: c"]})


def test_random_plain_values_are_byte_identical():
    rng = random.Random(14)
    alphabet = "aZ09 ,:\"\\/\n\t{}[]ễđ\u2028\x00\x1f\x7f😀"

    def value(depth: int):
        kind = rng.randrange(7 if depth < 6 else 4)
        if kind == 0:
            return "".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))
        if kind == 1:
            return rng.choice([0, -1, 7, 2**40, -(2**62), rng.randrange(-10**9, 10**9)])
        if kind == 2:
            return rng.choice([None, True, False])
        if kind == 3:
            return ""
        if kind in (4, 5):
            return {"".join(rng.choice(alphabet) for _ in range(rng.randrange(5))): value(depth + 1)
                    for _ in range(rng.randrange(4))}
        return [value(depth + 1) for _ in range(rng.randrange(4))]

    for _ in range(3000):
        v = value(0)
        assert plain_json(v)
        _same(v)


def test_a_dossier_page_is_byte_identical():
    records = generate_dossiers(2024)
    payload = {"total": len(records), "page": 1, "page_size": 1000, "items": records}
    assert encode_reply(payload, True) == encode_reply(payload) == _stdlib(payload)


@pytest.mark.parametrize("streaming, faults", [(False, Faults()), (True, Faults()),
                                               (True, Faults(duplicate_across_pages=True, extra_field=True))],
                         ids=["materialised", "streaming (pre-encoded records)", "streaming, page-level faults"])
def test_pages_over_http_are_the_standard_library_encoding_of_what_is_served(streaming, faults):
    lo, hi = datetime(2024, 7, 1), datetime(2025, 1, 1)
    with SimulatorServer(streaming=streaming, faults=faults) as server:
        served = server.window(lo, hi)
        assert len(served) > 150
        for page in (1, 2, 3):
            reply = requests.get(f"{server.dossier_url}/api/v1/hoso",
                                 params={"updated_from": "2024-07-01T00:00:00+07:00",
                                         "updated_to": "2025-01-01T00:00:00+07:00", "page": page, "page_size": 70},
                                 headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30)
            assert reply.status_code == 200
            items = served[(page - 1) * 70:page * 70]
            if faults.duplicate_across_pages and page > 1:
                items = [served[(page - 1) * 70 - 1], *items]
            expected = {"total": len(served), "page": page, "page_size": 70, "items": items}
            assert reply.content == _stdlib(expected)
