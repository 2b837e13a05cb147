"""The sector feed YAML format: the shipped examples are valid, and each kind of mistake is refused with a
message that names the file, the field and what is wrong (`check-feeds` prints them, exit code 1)."""

from __future__ import annotations

import copy

import pytest
import yaml

from ioc_pipeline import cli, config
from ioc_pipeline.feeds.spec import FeedSpecError, check_feeds, expand, load_feed_file, load_feeds

GOOD = {
    "name": "transport_bus_trips",
    "owner_agency": "000.00.16.H03",
    "sector": "transport",
    "description": "Chuyến xe buýt theo ngày",
    "source": {"file_drop": "/srv/drop/bus/*.csv"},
    "format": "csv",
    "key_columns": ["route", "day"],
    "timestamp_column": "day",
    "cadence": "daily",
    "freshness_sla_hours": 30,
    "columns": {"route": {"type": "string"}, "day": {"type": "date"}, "trips": {"type": "integer", "required": True},
                "driver_phone": {"type": "string", "personal": True}},
}


def _write(folder, data, name=None):
    path = folder / f"{name or data['name']}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_shipped_example_feeds_are_valid():
    feeds = {f.name: f for f in load_feeds(config.PROJECT_ROOT / "feeds")}
    assert set(feeds) == {"environment_air_quality", "health_facility_beds"}
    air, health = feeds["environment_air_quality"], feeds["health_facility_beds"]
    assert (air.cadence, air.source.kind, air.format, air.freshness_sla_hours) == ("hourly", "http", "json", 3)
    assert (health.cadence, health.source.kind, health.format) == ("daily", "file_drop", "csv")
    # required = declared required + keys + timestamp, in declaration order
    assert air.required_columns == ["station_code", "measured_at", "pm25"]
    assert health.required_columns == ["facility_code", "report_date", "beds_total", "beds_occupied"]


def test_a_good_declaration_and_what_the_pipeline_derives_from_it(tmp_path):
    feed = load_feed_file(_write(tmp_path, GOOD))
    assert feed.required_columns == ["route", "day", "trips"]
    assert feed.personal_columns == ["driver_phone"]
    assert feed.schedule == "@daily"
    # The stored declaration is canonical: the same content gives the same hash, a change another.
    again = load_feed_file(_write(tmp_path / "", {**GOOD}, name="transport_bus_trips"))
    assert again.declaration_hash() == feed.declaration_hash()
    changed = copy.deepcopy(GOOD)
    changed["freshness_sla_hours"] = 31
    assert load_feed_file(_write(tmp_path, changed)).declaration_hash() != feed.declaration_hash()


def _bad(**changes):
    data = copy.deepcopy(GOOD)
    for dotted, value in changes.items():
        target, *path = dotted.split("__")
        node = data
        keys = [target, *path]
        for key in keys[:-1]:
            node = node[key]
        if value is KeyError:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return data


BAD_CASES = [
    ("unknown key", _bad(cadense="daily"), "cadense: Extra inputs are not permitted"),
    ("missing field", _bad(owner_agency=KeyError), "owner_agency: Field required"),
    ("cadence", _bad(cadence="weekly"), "cadence: Input should be 'hourly', 'daily' or 'monthly'"),
    ("format", _bad(format="xml"), "format: Input should be 'csv' or 'json'"),
    ("sla", _bad(freshness_sla_hours=0), "freshness_sla_hours: Input should be greater than 0"),
    ("name", _bad(name="Bus-Trips"), "name: String should match pattern"),
    ("reserved", _bad(name="one_stop_shop"), "name: 'one_stop_shop' is the name of a core source system"),
    ("no keys", _bad(key_columns=[]), "key_columns: List should have at least 1 item"),
    ("undeclared key", _bad(key_columns=["route", "stop"]),
     "key_columns/timestamp_column not declared under columns: stop"),
    ("timestamp type", _bad(timestamp_column="trips"), "timestamp_column 'trips' must be of type date or timestamp"),
    ("column type", _bad(columns__trips={"type": "int"}), "columns.trips.type: Input should be 'string', 'integer'"),
    ("personal key", _bad(columns__route={"type": "string", "personal": True}),
     "a key column cannot be personal data: route"),
    ("both sources", _bad(source={"file_drop": "/a/*.csv", "url": "https://x.example/a"}),
     "source: give exactly one of url (HTTP) or file_drop (a folder glob)"),
    ("no source", _bad(source={}), "source: give exactly one of url (HTTP) or file_drop (a folder glob)"),
    ("url scheme", _bad(source={"url": "ftp://x.example/a"}), "source: url must start with http:// or https://"),
    ("window on a drop", _bad(source={"file_drop": "/a/*.csv", "window_params": {"start": "a", "end": "b"}}),
     "source: window_params only applies to a url"),
]


@pytest.mark.parametrize("case, data, message", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_each_mistake_is_refused_with_its_message(tmp_path, case, data, message):
    path = _write(tmp_path, data, name=GOOD["name"] if case != "reserved" else "one_stop_shop")
    with pytest.raises(FeedSpecError) as error:
        load_feed_file(path)
    assert str(path) in str(error.value)
    assert message in str(error.value), str(error.value)


def test_file_level_mistakes(tmp_path):
    wrong_name = _write(tmp_path, GOOD, name="bus")
    with pytest.raises(FeedSpecError, match=r"name: 'transport_bus_trips' must equal the file name \('bus'\)"):
        load_feed_file(wrong_name)
    not_yaml = tmp_path / "broken.yml"
    not_yaml.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(FeedSpecError, match="broken.yml: not valid YAML"):
        load_feed_file(not_yaml)
    a_list = tmp_path / "listed.yml"
    a_list.write_text("- name: x\n", encoding="utf-8")
    with pytest.raises(FeedSpecError, match="listed.yml: a feed declaration must be a YAML mapping"):
        load_feed_file(a_list)


def test_a_folder_keeps_the_valid_feeds_and_lists_every_invalid_file(tmp_path):
    _write(tmp_path, GOOD)
    _write(tmp_path, _bad(name="transport_taxi", cadence="weekly"))
    (tmp_path / "notes.txt").write_text("not a declaration", encoding="utf-8")
    feeds, errors = check_feeds(tmp_path)
    assert [f.name for f in feeds] == ["transport_bus_trips"]
    assert len(errors) == 1 and "transport_taxi.yml" in errors[0] and "cadence" in errors[0]
    with pytest.raises(FeedSpecError, match="transport_taxi.yml"):
        load_feeds(tmp_path)


def test_check_feeds_command(tmp_path, capsys):
    _write(tmp_path, GOOD)
    assert cli.main(["check-feeds", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ok  transport_bus_trips: transport, owner 000.00.16.H03, csv from file_drop, daily" in out
    assert "1 valid, 0 invalid" in out
    _write(tmp_path, _bad(name="transport_taxi", key_columns=["taxi"]))
    assert cli.main(["check-feeds", "--dir", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "1 valid, 1 invalid" in captured.out
    assert "key_columns/timestamp_column not declared under columns: taxi" in captured.err


def test_environment_references_are_read_at_run_time(monkeypatch):
    monkeypatch.setenv("FEED_TEST_ROOT", "/srv/feeds")
    assert expand("${FEED_TEST_ROOT}/bus/*.csv") == "/srv/feeds/bus/*.csv"
    monkeypatch.delenv("FEED_TEST_ROOT")
    with pytest.raises(FeedSpecError, match="environment variable FEED_TEST_ROOT is not set"):
        expand("${FEED_TEST_ROOT}/bus/*.csv")
