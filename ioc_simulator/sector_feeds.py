"""Two simulated sector data feeds, the examples of `feeds/*.yml` (docs/contracts/sources.md,
"Sector data feeds"):

- `environment_air_quality`: hourly readings of the province's automatic air-quality stations, JSON
  over HTTP on the dossier server (`GET /api/v1/feeds/air-quality?from=<ts>&to=<ts>`, no key: open
  data), `{"items": [...]}`, one reading per station and hour whose `measured_at` is in `[from, to)`
  (ISO 8601 with offset; both bounds required) and not after the simulator's "now";
- `health_facility_beds`: a daily CSV file per day dropped into a folder
  (`health_facility_beds_YYYYMMDD.csv`), one row per public hospital: beds and outpatient visits.

Values are a pure function of (seed, station or facility, hour or day): the same seed gives the same
bytes, so tests can work values out from `air_quality_reading` / `health_facility_row`.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
AIR_QUALITY_PATH = "/api/v1/feeds/air-quality"

# Automatic air-quality stations (Sở Tài nguyên và Môi trường, 000.00.17.H03).
AIR_STATIONS = (
    ("KK-VT-01", "Trạm quan trắc tự động Vũng Tàu"),
    ("KK-BR-01", "Trạm quan trắc tự động Bà Rịa"),
    ("KK-PM-01", "Trạm quan trắc tự động KCN Phú Mỹ"),
    ("KK-CD-01", "Trạm quan trắc tự động Châu Đức"),
)
# Public hospitals (Sở Y tế, 000.00.23.H03): code, name, district, beds.
HEALTH_FACILITIES = (
    ("BV-77-001", "Bệnh viện Bà Rịa", "Thành phố Bà Rịa", 1000),
    ("BV-77-002", "Bệnh viện Lê Lợi", "Thành phố Vũng Tàu", 500),
    ("BV-77-003", "Trung tâm Y tế thị xã Phú Mỹ", "Thị xã Phú Mỹ", 200),
    ("BV-77-004", "Trung tâm Y tế huyện Châu Đức", "Huyện Châu Đức", 180),
    ("BV-77-005", "Trung tâm Y tế huyện Xuyên Mộc", "Huyện Xuyên Mộc", 150),
)
HEALTH_COLUMNS = ("facility_code", "facility_name", "district", "report_date", "beds_total", "beds_occupied",
                  "outpatient_visits")


def _unit(seed: int, *parts) -> float:
    """A reproducible number in [0, 1) from the seed and the parts."""
    digest = hashlib.sha256("|".join(str(p) for p in (seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def air_quality_reading(seed: int, station: tuple[str, str], hour: datetime) -> dict:
    """One station's reading for the hour starting at `hour` (aware, Vietnam time)."""
    code, name = station
    pm25 = round(8 + 40 * _unit(seed, code, hour.isoformat(), "pm25"), 1)
    return {
        "station_code": code,
        "station_name": name,
        "measured_at": hour.astimezone(VN).isoformat(),
        "pm25": pm25,
        "pm10": round(pm25 * 1.6, 1),
        "no2": round(5 + 30 * _unit(seed, code, hour.isoformat(), "no2"), 1),
        "aqi": int(pm25 * 2 + 10),
    }


def air_quality_readings(seed: int, start: datetime, end: datetime, now: datetime | None = None) -> list[dict]:
    """Every station's hourly readings with `measured_at` in `[start, end)` and not after `now`."""
    first = start.astimezone(VN).replace(minute=0, second=0, microsecond=0)
    if first < start:
        first += timedelta(hours=1)
    out, hour = [], first
    while hour < end and (now is None or hour <= now):
        out += [air_quality_reading(seed, station, hour) for station in AIR_STATIONS]
        hour += timedelta(hours=1)
    return out


def health_facility_row(seed: int, facility: tuple, day: date) -> dict:
    code, name, district, beds = facility
    occupied = int(beds * (0.55 + 0.4 * _unit(seed, code, day.isoformat(), "beds")))
    return {"facility_code": code, "facility_name": name, "district": district, "report_date": day.isoformat(),
            "beds_total": beds, "beds_occupied": occupied,
            "outpatient_visits": int(beds * (0.8 + 1.2 * _unit(seed, code, day.isoformat(), "visits")))}


def write_health_facility_file(folder: Path, seed: int, day: date) -> Path:
    """The day's CSV file in the drop folder; returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"health_facility_beds_{day:%Y%m%d}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEALTH_COLUMNS)
        writer.writeheader()
        writer.writerows(health_facility_row(seed, facility, day) for facility in HEALTH_FACILITIES)
    return path


def fill_health_facility_drop(folder: Path, seed: int, start: date, end: date) -> list[Path]:
    """One file per day of `[start, end)`."""
    return [write_health_facility_file(folder, seed, start + timedelta(days=i)) for i in range((end - start).days)]
