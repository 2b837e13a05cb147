"""The declaration of a sector data feed: one YAML file per feed, checked by a pydantic model.

Why a strict model (unknown keys refused, every cross-field rule checked): a feed is added by people
who write no code, so a typo (`cadense`, a key column that is not among the columns) must be a clear
error at `check-feeds` time, not a DAG that silently loads nothing. Format: docs/contracts/sources.md
("Sector data feeds"). Cheap to import (pydantic and PyYAML only): the DAG file reads the folder at
parse time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ioc_pipeline import config

CADENCES = {"hourly": "@hourly", "daily": "@daily", "monthly": "@monthly"}
COLUMN_TYPES = ("string", "integer", "number", "boolean", "date", "timestamp")
# Names of the core systems in marts.source_status (seed monitored_sources): a feed may not take one.
RESERVED_NAMES = frozenset({"one_stop_shop", "dvc_portal", "operator_viettel", "operator_vnpt"})
NAME_PATTERN = r"^[a-z][a-z0-9_]{2,62}$"
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class FeedSpecError(ValueError):
    """A declaration that cannot be used; the message names the file and every problem in it."""


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["string", "integer", "number", "boolean", "date", "timestamp"]
    required: bool = False
    personal: bool = Field(False, description="personal data: kept in raw only, removed above it")


class WindowParams(BaseModel):
    """Query parameters that receive the run's window `[start, end)` as ISO 8601 date-times."""

    model_config = ConfigDict(extra="forbid")

    start: str
    end: str


class Source(BaseModel):
    """Where the records come from: an HTTP URL or a file-drop folder (a glob), exactly one."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    file_drop: str | None = None
    records_field: str | None = Field(
        None, description="JSON reply: the field holding the list of records (default: the reply is the list)")
    window_params: WindowParams | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "Source":
        if (self.url is None) == (self.file_drop is None):
            raise ValueError("give exactly one of url (HTTP) or file_drop (a folder glob)")
        if self.url is not None and not re.match(r"^(https?://|\$\{)", self.url):
            raise ValueError(f"url must start with http:// or https:// (or ${{VAR}}), got {self.url!r}")
        if self.file_drop is not None and self.window_params is not None:
            raise ValueError("window_params only applies to a url")
        return self

    @property
    def kind(self) -> str:
        return "http" if self.url is not None else "file_drop"


class SectorFeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    owner_agency: str = Field(min_length=1, description="electronic code of the agency that owns the data")
    sector: str = Field(pattern=r"^[a-z][a-z_]*$")
    description: str = Field(min_length=1)
    source: Source
    format: Literal["csv", "json"]
    key_columns: list[str] = Field(min_length=1)
    timestamp_column: str
    cadence: Literal["hourly", "daily", "monthly"]
    freshness_sla_hours: int = Field(gt=0)
    columns: dict[str, Column] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_NAMES:
            raise ValueError(f"{name!r} is the name of a core source system")
        return name

    @model_validator(mode="after")
    def _columns_declared(self) -> "SectorFeed":
        undeclared = [c for c in [*self.key_columns, self.timestamp_column] if c not in self.columns]
        if undeclared:
            raise ValueError(f"key_columns/timestamp_column not declared under columns: {', '.join(undeclared)}")
        if len(set(self.key_columns)) != len(self.key_columns):
            raise ValueError("key_columns lists a column twice")
        if self.columns[self.timestamp_column].type not in ("date", "timestamp"):
            raise ValueError(f"timestamp_column {self.timestamp_column!r} must be of type date or timestamp")
        personal_keys = [c for c in self.key_columns if self.columns[c].personal]
        if personal_keys:
            raise ValueError(f"a key column cannot be personal data: {', '.join(personal_keys)}")
        return self

    # --- what the pipeline derives from it ---

    @property
    def required_columns(self) -> list[str]:
        """Columns every record must carry: the declared required ones, the keys and the timestamp."""
        return [c for c, spec in self.columns.items()
                if spec.required or c in self.key_columns or c == self.timestamp_column]

    @property
    def personal_columns(self) -> list[str]:
        return [c for c, spec in self.columns.items() if spec.personal]

    @property
    def schedule(self) -> str:
        return CADENCES[self.cadence]

    def declaration(self) -> dict:
        """The declaration as stored (canonical: the same YAML content gives the same hash)."""
        return self.model_dump(mode="json")

    def declaration_hash(self) -> str:
        text = json.dumps(self.declaration(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def expand(text: str) -> str:
    """`${VAR}` references in a url or file_drop, from the environment at run time (never at parse time)."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if not os.environ.get(name):
            raise FeedSpecError(f"{text}: environment variable {name} is not set")
        return os.environ[name]
    return _ENV_REFERENCE.sub(value, text)


def _problems(error: ValidationError) -> list[str]:
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(file)"
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return lines


def load_feed_file(path: Path) -> SectorFeed:
    """One declaration file, checked; FeedSpecError naming the file and each problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FeedSpecError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise FeedSpecError(f"{path}: a feed declaration must be a YAML mapping")
    try:
        feed = SectorFeed.model_validate(data)
    except ValidationError as exc:
        raise FeedSpecError(f"{path}:\n  " + "\n  ".join(_problems(exc))) from None
    if feed.name != path.stem:
        raise FeedSpecError(f"{path}:\n  name: {feed.name!r} must equal the file name ({path.stem!r})")
    return feed


def feed_files(folder: Path | None = None) -> list[Path]:
    folder = Path(folder) if folder is not None else config.sector_feeds_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())


def check_feeds(folder: Path | None = None) -> tuple[list[SectorFeed], list[str]]:
    """Every declaration of the folder: (the valid feeds, one error text per invalid file)."""
    feeds, errors, seen = [], [], {}
    for path in feed_files(folder):
        try:
            feed = load_feed_file(path)
        except FeedSpecError as exc:
            errors.append(str(exc))
            continue
        if feed.name in seen:
            errors.append(f"{path}:\n  name: {feed.name!r} is already declared by {seen[feed.name]}")
            continue
        seen[feed.name] = path
        feeds.append(feed)
    return feeds, errors


def load_feeds(folder: Path | None = None) -> list[SectorFeed]:
    """The folder's declarations; FeedSpecError listing every invalid file."""
    feeds, errors = check_feeds(folder)
    if errors:
        raise FeedSpecError("\n".join(errors))
    return feeds
