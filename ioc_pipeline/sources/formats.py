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
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")

_COMPACT = re.compile(r"^\d{14}$")
_SLASHED = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")


class UnreadableValue(ValueError):
    """A value the source sent that we cannot interpret; the message is the quarantine reason."""


def parse_source_datetime(value: str) -> datetime:
    """A source date string as an aware datetime in Vietnam time."""
    if not isinstance(value, str):
        raise UnreadableValue(f"date is not a string: {value!r}")
    text = value.strip()
    try:
        if _COMPACT.match(text):
            naive = datetime.strptime(text, "%Y%m%d%H%M%S")
        elif _SLASHED.match(text):
            naive = datetime.strptime(text, "%d/%m/%Y %H:%M:%S")
        else:
            raise UnreadableValue(f"unknown date format: {value!r}")
    except ValueError as exc:
        if isinstance(exc, UnreadableValue):
            raise
        raise UnreadableValue(f"impossible date: {value!r}") from None
    return naive.replace(tzinfo=VN)


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
