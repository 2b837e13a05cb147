"""What a raw entity is: the table a source's records land in, and the rule that refuses one.

A record is refused (quarantined with the reason) when the warehouse could not use it without
guessing: a required key is missing, a date is unreadable or impossible, a code is not an integer.
Unknown extra fields are kept: they stay in the record's JSON. Each source's own rules live in
`loading/entities/<source>.py`; the loader (`raw_loader`) only knows this shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ioc_pipeline.sources.formats import UnreadableValue, parse_iso_date, parse_source_datetime


class RecordRefused(ValueError):
    """The reason a record goes to quarantine instead of raw."""


class SchemaDrift(RuntimeError):
    """The source's records no longer have the shape the warehouse expects: fail, don't guess."""


@dataclass(frozen=True)
class RawEntity:
    source: str
    entity: str
    table: str
    # Typed columns the loader fills besides record_hash, payload, batch_id, received_at.
    columns: tuple[str, ...]
    # Values for `columns`, or RecordRefused.
    prepare: Callable[[dict, bytes], tuple]
    key_field: str
    # Fields every record must carry. One record without one is quarantined; every record of a
    # batch without it is schema drift (the source renamed or dropped the field) and fails the
    # batch instead of quarantining everything quietly.
    required: tuple[str, ...] = ()

    def key_of(self, record: object) -> str | None:
        if isinstance(record, dict) and record.get(self.key_field) not in (None, ""):
            return str(record[self.key_field])
        return None


def require_fields(record: dict, fields: tuple[str, ...]) -> None:
    for field in fields:
        if record.get(field) in (None, ""):
            raise RecordRefused(f"missing required field {field}")


def read_datetime(record: dict, field: str, where: str = ""):
    """A source date-time field, None when empty; RecordRefused when it cannot be read."""
    value = record.get(field)
    if value in (None, ""):
        return None
    try:
        return parse_source_datetime(value)
    except UnreadableValue as exc:
        raise RecordRefused(f"{where}{field}: {exc}") from None


def read_iso_date(record: dict, field: str):
    """A catalog date field (`YYYY-MM-DD`), None when empty; RecordRefused when it cannot be read."""
    if record.get(field) in (None, ""):
        return None
    try:
        return parse_iso_date(record[field])
    except UnreadableValue as exc:
        raise RecordRefused(f"{field}: {exc}") from None
