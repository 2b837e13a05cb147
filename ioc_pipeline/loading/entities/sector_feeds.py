"""What `raw.sector_feed_record` accepts from a declared sector feed (docs/contracts/sources.md,
"Sector data feeds"): the raw entity of one feed, generated from its YAML declaration.

Only what makes a record unusable is refused here (quarantined with the reason): a record that is not
an object, or one without a value in a key column (it could not be told apart from the others). A
missing required value, a value of the wrong type or a key delivered twice with different content in
one batch is loaded as received and reported by the feed's generated expectations
(`quality/feed_expectations.py`), so that the data-quality status says what is wrong with the feed.
Every record of a batch without a key column is schema drift and fails the batch (the loader's rule).

Columns the declaration marks `personal` stay in `payload` (raw only); their keyed hash
(HMAC-SHA-256 with PII_HASH_KEY, as for the dossiers' applicant) is computed here, before the row
reaches the database, into `personal_keys` ({column: hash}), which is what staging passes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ioc_pipeline.feeds.spec import SectorFeed
from ioc_pipeline.loading.raw_entity import RawEntity, RecordRefused
from ioc_pipeline.sources.formats import pseudonymise

SOURCE = "sector_feeds"
TABLE = "raw.sector_feed_record"
KEY_SEPARATOR = "|"


def record_key(record: dict, key_columns: list[str]) -> str:
    """The record's key: its key columns' values, in declared order, joined by `|`."""
    return KEY_SEPARATOR.join(str(record[c]) for c in key_columns)


@dataclass(frozen=True)
class FeedEntity(RawEntity):
    key_columns: tuple[str, ...] = ()

    def key_of(self, record: object) -> str | None:
        if isinstance(record, dict) and all(record.get(c) not in (None, "") for c in self.key_columns):
            return record_key(record, list(self.key_columns))
        return None


def feed_entity(feed: SectorFeed) -> FeedEntity:
    keys = tuple(feed.key_columns)
    personal = tuple(feed.personal_columns)

    def prepare(record: dict, pii_key: bytes) -> tuple:
        for column in keys:
            value = record.get(column)
            if value in (None, ""):
                raise RecordRefused(f"missing key column {column}")
            if isinstance(value, (dict, list)):
                raise RecordRefused(f"key column {column} is not a single value")
        hashed = {column: pseudonymise(record.get(column), pii_key) for column in personal}
        return (feed.name, record_key(record, list(keys)), json.dumps(hashed))

    return FeedEntity(
        source=SOURCE,
        entity=feed.name,
        table=TABLE,
        columns=("feed_name", "record_key", "personal_keys"),
        prepare=prepare,
        key_field=keys[0],
        required=keys,
        key_columns=keys,
    )
