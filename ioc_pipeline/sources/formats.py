"""How the source systems write values, and how we read them back.

The one-stop-shop writes dates as `yyyyMMddHHmmss`; older records use `dd/MM/yyyy HH:mm:ss`.
Both are Vietnam local time without an offset. A value that fits neither, or names an impossible
day (31 February), is unreadable: the caller quarantines the record rather than guess.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import date, datetime

import orjson

from ioc_pipeline.config import VN

_COMPACT = re.compile(r"^\d{14}$")
_SLASHED = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")
_WHITESPACE = re.compile(r"\s+")


class UnreadableValue(ValueError):
    """A value the source sent that we cannot interpret; the message is the quarantine reason."""


def parse_source_datetime(value: str) -> datetime:
    """A source date string as an aware datetime in Vietnam time.

    Built from the digits with `datetime(...)` rather than `strptime`: it validates the same way
    (31 February raises) at a fraction of the cost, and loads parse several dates per record.
    """
    if type(value) is str and len(value) == 14 and value.isascii() and value.isdigit():
        # The common case (`yyyyMMddHHmmss`, nothing to strip) without the regular expressions.
        try:
            return datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]),
                            int(value[10:12]), int(value[12:14]), tzinfo=VN)
        except ValueError:
            raise UnreadableValue(f"impossible date: {value!r}") from None
    if not isinstance(value, str):
        raise UnreadableValue(f"date is not a string: {value!r}")
    text = value.strip()
    try:
        if _COMPACT.match(text):
            parts = (text[0:4], text[4:6], text[6:8], text[8:10], text[10:12], text[12:14])
        elif _SLASHED.match(text):
            parts = (text[6:10], text[3:5], text[0:2], text[11:13], text[14:16], text[17:19])
        else:
            raise UnreadableValue(f"unknown date format: {value!r}")
        return datetime(*(int(p) for p in parts), tzinfo=VN)
    except UnreadableValue:
        raise
    except ValueError:
        raise UnreadableValue(f"impossible date: {value!r}") from None


# Whether a `yyyyMMdd` names a real day, by the day: a load checks millions of dates over a few
# hundred days. Bounded, so that a source sending garbage cannot grow it for ever.
_DAY_IS_REAL: dict[str, bool] = {}
# True when a `yyyyMMdd` is known to be a real day (None: not checked yet): the loaders' inline fast path.
# Bound to the dict, which is cleared in place, never replaced.
known_real_day = _DAY_IS_REAL.get


def check_source_datetime(value: object) -> None:
    """What `parse_source_datetime(value)` would raise, if anything, without building the datetime.

    For fields that are only validated: a compact date is 14 ASCII digits whose day exists (looked up
    by the day) and whose time is within 00:00:00-23:59:59 (compared as text: two ASCII digits compare
    as their numbers). Anything else is left to `parse_source_datetime`, reasons included.
    """
    if type(value) is str and len(value) == 14 and value.isascii() and value.isdigit() \
            and value[8:10] < "24" and value[10:12] < "60" and value[12:14] < "60":
        day = value[:8]
        real = _DAY_IS_REAL.get(day)
        if real is None:
            try:
                date(int(day[0:4]), int(day[4:6]), int(day[6:8]))
                real = True
            except ValueError:
                real = False
            if len(_DAY_IS_REAL) >= 100_000:
                _DAY_IS_REAL.clear()
            _DAY_IS_REAL[day] = real
        if real:
            return
    parse_source_datetime(value)


def parse_iso_date(value: str) -> date:
    """A catalog date (`YYYY-MM-DD`)."""
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise UnreadableValue(f"impossible date: {value!r}") from None


def to_iso_vn(moment: datetime) -> str:
    """An API timestamp parameter, e.g. `2024-07-15T00:00:00+07:00`."""
    return moment.astimezone(VN).isoformat(timespec="seconds")


def canonical_json(record: object) -> str:
    """One text per content, whatever the key order: the basis of record hashes.

    This is the definition. `canonical_json_bytes` computes the same text faster, and every record
    hash stored in raw was computed from this text: changing it would make a re-delivered record a
    new version (tests/sources/test_formats.py pins known hashes).
    """
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# orjson with sorted keys writes the same bytes as `canonical_json(...).encode("utf-8")` for JSON values
# (dicts with str keys, lists, str, int, float, bool, None): same separators, UTF-8 unescaped, the same
# escapes, keys in code point order, the same shortest round-trip digits for floats. It differs only
#  - for floats Python writes with an exponent (below 1e-4 or from 1e16: `1e-05`, `1e+16`), which orjson
#    writes `0.00001`, `1e-6`, `1e+16`: such output contains `+`, `e-` or `.0000`, and those texts go
#    the stdlib way (a string containing them too: a few needless slow paths, never a wrong hash);
#  - for what JSON has no value for: datetimes, dataclasses, subclasses of str/int/dict/list
#    (passed through to `default`, i.e. TypeError, and then to the stdlib, which decides as before),
#    integers beyond 64 bits (TypeError, stdlib), UUIDs, enums and orjson fragments (orjson serialises
#    them, the stdlib raises), and NaN/±Infinity: orjson writes null where the stdlib writes NaN or
#    Infinity. Those are not JSON and no JSON decoder produces them except Python's lenient one; the
#    dossier client refuses a page carrying them (`one_stop_shop.decode_page`), as its batch used to
#    fail when jsonb refused the payload. A record built in Python with one would be stored with null.
_ORJSON_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_PASSTHROUGH_SUBCLASS)


def canonical_json_bytes(record: object) -> bytes:
    """`canonical_json(record)` encoded in UTF-8, computed by orjson when that gives the same bytes."""
    try:
        text = orjson.dumps(record, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: not plain JSON for orjson; the stdlib decides (and raises)
        return canonical_json(record).encode("utf-8")
    if b"+" in text or b"e-" in text or b".0000" in text:  # a float the stdlib writes with an exponent?
        return canonical_json(record).encode("utf-8")
    return text


def record_hash(record: object) -> str:
    """SHA-256 of the canonical JSON: what tells two versions of a record apart."""
    return hashlib.sha256(canonical_json_bytes(record)).hexdigest()


def pseudonymise(identifier: object, key: bytes) -> str | None:
    """Keyed hash (HMAC-SHA-256) of a personal identifier, normalised first.

    The key lives outside the warehouse, so nobody holding the warehouse can rebuild the
    hash table of all 12-digit IDs.
    """
    if identifier is None:
        return None
    text = identifier if type(identifier) is str else str(identifier)
    if text.isascii() and text.isalnum():  # the usual ID: no whitespace to remove
        normalised = text.upper()
    else:
        normalised = _WHITESPACE.sub("", text).upper()
        if not normalised:
            return None
    inner, outer = _hmac_sha256_pads(key)
    inner, outer = inner.copy(), outer.copy()
    inner.update(normalised.encode("utf-8"))
    outer.update(inner.digest())
    return outer.hexdigest()


@functools.lru_cache(maxsize=4)
def _hmac_sha256_pads(key: bytes) -> tuple:
    """HMAC-SHA-256 (RFC 2104) with the key's two padded blocks hashed once, not for every ID:
    `hmac.new(key, msg, sha256).hexdigest()` is the same value at about three times the cost."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in block)), hashlib.sha256(bytes(b ^ 0x5C for b in block)))
