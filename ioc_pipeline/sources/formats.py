"""How the source systems write values, and how we read them back.

The one-stop-shop writes dates as `yyyyMMddHHmmss`; older records use `dd/MM/yyyy HH:mm:ss`.
Both are Vietnam local time without an offset. A value that fits neither, or names an impossible
day (31 February), is unreadable: the caller quarantines the record rather than guess.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import date, datetime

from ioc_pipeline.config import VN

_COMPACT = re.compile(r"^\d{14}$")
_SLASHED = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")


class UnreadableValue(ValueError):
    """A value the source sent that we cannot interpret; the message is the quarantine reason."""


def parse_source_datetime(value: str) -> datetime:
    """A source date string as an aware datetime in Vietnam time.

    Built from the digits with `datetime(...)` rather than `strptime`: it validates the same way
    (31 February raises) at a fraction of the cost, and loads parse several dates per record.
    """
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
    """One text per content, whatever the key order: the basis of record hashes."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(record: object) -> str:
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def pseudonymise(identifier: object, key: bytes) -> str | None:
    """Keyed hash (HMAC-SHA-256) of a personal identifier, normalised first.

    The key lives outside the warehouse, so nobody holding the warehouse can rebuild the
    hash table of all 12-digit IDs.
    """
    if identifier is None:
        return None
    normalised = re.sub(r"\s+", "", str(identifier)).upper()
    if not normalised:
        return None
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
