"""The two simulated source systems served over real HTTP on loopback.

Why real HTTP and only the standard library: the extractors must be exercised exactly as they
will talk to the province's systems (status codes, headers, auth, paging, URL encoding), and the
simulator must start in milliseconds inside a test or the demo without extra dependencies. Each
API gets its own `ThreadingHTTPServer` on its own port, because they are two different systems
with two different Airflow connections (`docs/contracts/run.md`).

- Dossier API (`docs/contracts/sources.md` §1): `GET /api/v1/hoso`, bearer API key, filter `[updated_from,
  updated_to)` on `NgayCapNhat` read as Vietnam local time, order `NgayCapNhat` then `MaHoSo`.
- Portal API (`docs/contracts/sources.md` §2): client-credential tokens, enveloped, paged `departments` and
  `formalities` catalogs from `world.py`.

Two ways to hold the dossiers, chosen by `scale`:

- materialised (small scales, the default): every record generated once at start, kept in `.records`
  and indexed by (NgayCapNhat, MaHoSo);
- streaming (scales above `STREAMING_THRESHOLD` expected dossiers, or `streaming=True`): nothing is
  kept; a window query generates only the submission days that can hold a change in the window
  (`dossiers.window_dossiers`) and the last few windows are cached so that the pages of one query
  come from one generation. Memory follows the window, never the scale; `.records` is not available
  and the portal's 766 index is computed month by month from the days that can hold the month's
  acceptances.

Records are fixed for the life of a server (except the `change_during_paging` fault); faults come
from `faults.Faults`.
"""

from __future__ import annotations

import bisect
import json
import math
import re
import secrets
import threading
import time
from collections import OrderedDict
from datetime import date, datetime, time as clock_time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

try:  # the pipeline's own dependency; without it every reply is the standard library's (same bytes)
    import orjson
except ImportError:  # pragma: no cover
    orjson = None

from .dossiers import (
    DATE_FORMAT,
    DEFAULT_SCALE,
    LEGACY_DATE_FORMAT,
    expected_volume,
    generate_dossiers,
    iter_dossiers,
    read_served_time,
    to_local_naive,
    window_dossiers,
)
from .agency_work import agency_reports, citizen_accounts, damage_accounts, damage_reports
from .faults import EXTRA_FIELD_NAME, EXTRA_FIELD_VALUE, Faults, apply_record_faults
from .portal_metrics import PortalIndex
from .sector_feeds import AIR_QUALITY_PATH, VN, air_quality_readings
from .world import AGENCIES, PROCEDURES

HOSO_PATH = "/api/v1/hoso"
TOKEN_PATH = "/api/v1/auth/token"
CATALOG_PATHS = {"/api/v1/reporting/departments": AGENCIES, "/api/v1/reporting/formalities": PROCEDURES}
EVALUATION_PREFIX = "/api/v1/reporting/evaluation/"
BAOCAO_PATH = "/api/v1/congviec/baocao"      # agencies' monthly progress reports (sources.md §4)
ACCOUNTS_PATH = "/api/v1/reporting/accounts"  # citizen accounts (sources.md §5)
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000
PORTAL_DEFAULT_PAGE_SIZE, PORTAL_MAX_PAGE_SIZE = 20, 1000
DEFAULT_TOKEN_LIFETIME = 3600
# Above this many expected dossiers the server streams instead of materialising its records.
STREAMING_THRESHOLD = 200_000


class SimulatorServer:
    """Both source systems, on two loopback ports; `start()` / `stop()` or use as a context manager.

    `records`: the dossiers to serve (default: `generate_dossiers(seed, start, end, as_of, scale)`).
    `scale`: expected dossiers per year province-wide (`dossiers.DEFAULT_SCALE` = a few hundred over
    July–December 2024); `streaming`: None decides by the expected total (`STREAMING_THRESHOLD`).
    `.records` is exactly what the API serves (after record faults; materialised mode only),
    `.clean_records` what was given or generated, `.damaged` which codes the record faults hit,
    `.request_log` every (path, status).
    """

    def __init__(
        self,
        records: list[dict] | None = None,
        seed: int = 2024,
        start: date = date(2024, 7, 1),
        end: date = date(2025, 1, 1),
        as_of: datetime | None = None,
        api_key: str = "sim-key",
        client_id: str = "sim-client",
        client_secret: str = "sim-secret",
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        dossier_port: int = 0,
        portal_port: int = 0,
        scale: float = DEFAULT_SCALE,
        streaming: bool | None = None,
    ):
        self.faults = faults if faults is not None else Faults()
        self.seed, self.start_day, self.end_day, self.scale = seed, start, end, scale
        self.as_of = to_local_naive(as_of) if as_of is not None else datetime.combine(end, clock_time())
        if streaming is None:
            days = (end - start).days
            expected = sum(expected_volume(start + timedelta(days=i), scale) for i in range(max(days, 0)))
            streaming = records is None and expected > STREAMING_THRESHOLD
        self.streaming = streaming
        if streaming:
            if records is not None:
                raise ValueError("streaming serves generated dossiers only; pass records=None")
            if self.faults.has_counted_record_faults:
                raise ValueError("counted record faults need materialised records; use a smaller scale")
            self.clean_records = None
            self.records = None
            self.damaged = {"unreadable_dates": [], "missing_key": [], "unknown_agency_codes": [],
                            "unknown_procedure_codes": [], "changed_during_paging": []}
            self._index = _StreamIndex(self)
            self.portal_index = PortalIndex(None, self.as_of, month_records=self._month_records)
        else:
            self.clean_records = (records if records is not None
                                  else generate_dossiers(seed, start, end, as_of, scale))
            self.records, self.damaged = apply_record_faults(self.clean_records, self.faults)
            self._index = _DossierIndex(self.records)
            # The portal's 766 index is computed from the served records, as seen at the simulator's "now".
            self.portal_index = PortalIndex(self.records, self.as_of)
        self._moved: dict[str, tuple[datetime, dict]] = {}
        self.api_key, self.client_id, self.client_secret = api_key, client_id, client_secret
        self.host = host
        self.request_log: list[tuple[str, int]] = []
        self.hoso_requests = 0
        self._ports = {"dossier": dossier_port, "portal": portal_port}
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._lock = threading.Lock()
        self._servers: dict[str, ThreadingHTTPServer] = {}

    # --- lifecycle ---

    def start(self) -> "SimulatorServer":
        """Bind both ports and serve in daemon threads."""
        for name, handler in (("dossier", _DossierHandler), ("portal", _PortalHandler)):
            server = ThreadingHTTPServer((self.host, self._ports[name]), handler)
            server.daemon_threads = True
            server.sim = self  # type: ignore[attr-defined]
            self._servers[name] = server
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sim-{name}", daemon=True
            ).start()
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> "SimulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- addresses ---

    def _port(self, name: str) -> int:
        if name not in self._servers:
            raise RuntimeError("SimulatorServer is not started")
        return self._servers[name].server_address[1]

    @property
    def dossier_url(self) -> str:
        return f"http://{self.host}:{self._port('dossier')}"

    @property
    def portal_url(self) -> str:
        return f"http://{self.host}:{self._port('portal')}"

    @property
    def dossier_conn_uri(self) -> str:
        """Airflow connection URI of the dossier API: the API key is the password."""
        return f"http://:{quote(self.api_key, safe='')}@{self.host}:{self._port('dossier')}"

    @property
    def portal_conn_uri(self) -> str:
        """Airflow connection URI of the portal: client id and secret as login and password."""
        login, password = quote(self.client_id, safe=""), quote(self.client_secret, safe="")
        return f"http://{login}:{password}@{self.host}:{self._port('portal')}"

    # --- shared state used by the handlers ---

    def _log(self, path: str, status: int) -> None:
        with self._lock:
            self.request_log.append((path, status))

    def _next_hoso_request(self) -> int:
        with self._lock:
            self.hoso_requests += 1
            return self.hoso_requests

    def _month_records(self, year: int, month: int):
        """Streaming: the records that can have been accepted in the month (submitted from 20 days
        before it; acceptance never comes later than that after submission)."""
        first = max(self.start_day, date(year, month, 1) - timedelta(days=20))
        last = date(year + month // 12, month % 12 + 1, 1)
        return iter_dossiers(self.seed, first, min(last, self.end_day), self.as_of, self.scale)

    def window(self, lo: datetime, hi: datetime, page: int = 1, page_size: int = 0) -> list[dict]:
        """Records served for [lo, hi), in order, with the changes made during paging applied.

        With the `change_during_paging` fault, asking for a page after the first first changes up to
        that many records of the window that lie on earlier pages (see `Faults`)."""
        base = self._index.window(lo, hi)
        if not self._moved and not (self.faults.change_during_paging and page > 1):
            return base
        with self._lock:
            rows = self._apply_moves(base, lo, hi)
            if self.faults.change_during_paging and page > 1:
                earlier = rows[: (page - 1) * page_size]
                fresh = [r for r in earlier if r.get("MaHoSo") and r["MaHoSo"] not in self._moved]
                for record in fresh[: self.faults.change_during_paging]:
                    changed = dict(record)
                    fmt = LEGACY_DATE_FORMAT if "/" in (record.get("NgayCapNhat") or "") else DATE_FORMAT
                    changed["NgayCapNhat"] = self.as_of.strftime(fmt)
                    self._moved[record["MaHoSo"]] = (self.as_of, changed)
                    self.damaged["changed_during_paging"].append(record["MaHoSo"])
                rows = self._apply_moves(base, lo, hi)
            return rows

    def _apply_moves(self, base: list[dict], lo: datetime, hi: datetime) -> list[dict]:
        if not self._moved:
            return base
        kept = [r for r in base if r.get("MaHoSo") not in self._moved]
        moved = sorted(((t, code, r) for code, (t, r) in self._moved.items() if lo <= t < hi),
                       key=lambda row: (row[0], row[1]))
        return kept + [r for _, _, r in moved]

    def _issue_token(self) -> tuple[str, float]:
        lifetime = self.faults.token_expires_after
        lifetime = DEFAULT_TOKEN_LIFETIME if lifetime is None else lifetime
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + lifetime
        return token, lifetime

    def _token_state(self, token: str | None) -> str:
        """'ok', 'expired' or 'unknown'."""
        with self._lock:
            expiry = self._tokens.get(token) if token else None
        if expiry is None:
            return "unknown"
        return "ok" if time.monotonic() < expiry else "expired"


class _DossierIndex:
    """The served records sorted by (NgayCapNhat, MaHoSo), for half-open time-window queries.

    A record whose `NgayCapNhat` cannot be read is in no window (the simulator cannot place it).
    """

    def __init__(self, records: list[dict]):
        rows = []
        for record in records:
            updated = read_served_time(record.get("NgayCapNhat"))
            if updated is not None:
                rows.append((updated, record.get("MaHoSo") or "", record))
        rows.sort(key=lambda row: (row[0], row[1]))
        self._times = [row[0] for row in rows]
        self._records = [row[2] for row in rows]

    @staticmethod
    def plain(lo: datetime, hi: datetime) -> bool:
        """Not known in advance: `.records` can be changed by whoever made them; each page is checked."""
        return False

    @staticmethod
    def encoded(lo: datetime, hi: datetime, rows: list[dict]) -> None:
        """Never: `.records` can be changed by whoever made them; each page is encoded when asked for."""
        return None

    def window(self, lo: datetime, hi: datetime) -> list[dict]:
        """Records with lo <= NgayCapNhat < hi, in order."""
        return self._records[bisect.bisect_left(self._times, lo) : bisect.bisect_left(self._times, hi)]


class _StreamIndex:
    """Windows generated on demand (streaming mode), the last few cached for the pages of a query."""

    CACHED_WINDOWS = 4

    def __init__(self, sim: "SimulatorServer"):
        self.sim = sim
        self._cache: OrderedDict[tuple[datetime, datetime], list[dict]] = OrderedDict()
        self._plain: dict[tuple[datetime, datetime], bool] = {}  # same keys as the cache
        self._encoded: dict[tuple[datetime, datetime], list[bytes] | None] = {}  # same keys as the cache
        self._lock = threading.Lock()

    def encoded(self, lo: datetime, hi: datetime, rows: list[dict]) -> list[bytes] | None:
        """Each record of the window as `json.dumps(record, ensure_ascii=False)` writes it, encoded once
        when the window was generated; None unless `rows` is that window as generated (no changes made
        during paging) and still cached.

        Why: a page is then its records' bytes joined (`_page_bytes`), so serving costs the simulator
        next to nothing; the encoding is part of preparing the window, like generating it. It stands in
        for a real source, and must not be what the extraction's measurement measures."""
        with self._lock:
            key = (lo, hi)
            return self._encoded.get(key) if self._cache.get(key) is rows else None

    def plain(self, lo: datetime, hi: datetime) -> bool:
        """True if the window's records were found plain JSON (`plain_json`) when it was generated.

        Only the server holds them (streaming mode exposes no `.records`), and the changes it makes
        to them (`change_during_paging`: a new date string) keep them plain."""
        with self._lock:
            return self._plain.get((lo, hi), False)

    def window(self, lo: datetime, hi: datetime) -> list[dict]:
        key = (lo, hi)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        sim = self.sim
        rows = [record for _, _, record in window_dossiers(lo, hi, sim.seed, sim.start_day, sim.end_day,
                                                           sim.as_of, sim.scale)]
        if sim.faults.extra_field:
            for record in rows:
                record[EXTRA_FIELD_NAME] = EXTRA_FIELD_VALUE
        plain = plain_json(rows)
        encoded = [encode_reply(record, plain or None) for record in rows]
        with self._lock:
            self._cache[key] = rows
            self._plain[key] = plain
            self._encoded[key] = encoded
            while len(self._cache) > self.CACHED_WINDOWS:
                evicted = self._cache.popitem(last=False)[0]
                self._plain.pop(evicted, None)
                self._encoded.pop(evicted, None)
        return rows



# --- reply encoding ---------------------------------------------------------------------------------
#
# A 1000-dossier page is about 1 MB of JSON. `json.dumps(payload, ensure_ascii=False)` was nine tenths
# of the simulator's serving CPU (py-spy), ~10 ms a page (CPU time; ~19 ms wall on the loaded
# machine), on the same two cores as the pipeline it stands in for. orjson writes the same JSON text
# in under 1 ms, but compactly. Indented (`OPT_INDENT_2`), its only whitespace outside strings is
# "\n" + indentation (a string never holds a raw newline: JSON escapes it), and its `": "` between key
# and value is the standard library's; putting ", " where a "," ends a line and then taking out each
# "\n" with the indentation after it gives the standard library's bytes exactly, ~6 ms a page in all
# (mostly the regular expression). orjson writes some floats differently (1e-05 as 0.00001, NaN as
# null), refuses integers beyond 64 bits, non-str keys and lone surrogates, and serialises subclasses
# its own way: so it is used only for values made of exact str, int, bool, None, and lists and
# str-keyed dicts of them (`plain_json`), and whatever it refuses goes to the standard library.

_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})
_NEWLINE_AND_INDENT = re.compile(b"\n *")


def plain_json(value: object) -> bool:
    """True if `value` holds only exact str, int, bool, None, and lists and str-keyed dicts of them."""
    stack = [value]
    pop, extend, scalars = stack.pop, stack.extend, _PLAIN_SCALARS
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            for key in item:
                if type(key) is not str:
                    return False
            extend(item.values())
        elif kind is list:
            extend(item)
        elif kind not in scalars:
            return False
    return True


def encode_reply(payload: object, plain: bool | None = None) -> bytes:
    """`json.dumps(payload, ensure_ascii=False).encode("utf-8")`, byte for byte, cheaper for plain JSON.

    `plain`: True if the caller knows `payload` passes `plain_json` (a streaming window checked when it
    was generated); None to check here."""
    if orjson is not None and (plain if plain is not None else plain_json(payload)):
        try:
            body = orjson.dumps(payload, option=orjson.OPT_INDENT_2)
        except (orjson.JSONEncodeError, TypeError):
            body = None
        if body is not None:
            return _NEWLINE_AND_INDENT.sub(b"", body.replace(b",\n", b", \n"))
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _page_bytes(payload: dict, encoded_items: list[bytes]) -> bytes:
    """`encode_reply(payload)` for a payload whose "items" (its last key) are `encoded_items` decoded:
    the standard library writes a dict's items as `"key": value` joined by ", ", a list's the same."""
    head = encode_reply({key: value for key, value in payload.items() if key != "items"})
    return b"".join((head[:-1], b', "items": [', b", ".join(encoded_items), b"]}"))


def _read_iso_param(value: str) -> datetime:
    """An ISO 8601 query timestamp as Vietnam local time (naive). ValueError if unreadable.

    Accepts an offset, `Z`, or none (local); a `+` of the offset that arrived URL-decoded as a
    space (`...T00:00:00 07:00`) is put back.
    """
    text = value.strip()
    sep = "T" if "T" in text else " "
    day, found, clock = text.partition(sep)
    if found and " " in clock:
        clock = clock.replace(" ", "+", 1)
    return to_local_naive(datetime.fromisoformat(day + found + clock))


class _JsonHandler(BaseHTTPRequestHandler):
    """JSON replies, request logging into the simulator, no stderr chatter."""

    server_version = "IOCSimulator/1.0"
    sim: SimulatorServer

    def setup(self) -> None:
        super().setup()
        self.sim = self.server.sim  # type: ignore[attr-defined]

    def log_message(self, format, *args) -> None:  # noqa: A002 - signature of the base class
        pass

    def _path(self) -> str:
        return urlsplit(self.path).path

    def _reply(self, status: int, payload, headers: dict[str, str] | None = None, plain: bool | None = False,
               body: bytes | None = None) -> None:
        """`plain`: False for the standard library's encoder, else as `encode_reply` (same bytes);
        `body`: the payload already encoded (same bytes again)."""
        if body is None:
            body = (json.dumps(payload, ensure_ascii=False).encode("utf-8") if plain is False
                    else encode_reply(payload, plain))
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.sim._log(self._path(), status)

    def _bearer(self) -> str | None:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class _DossierHandler(_JsonHandler):
    """GET /api/v1/hoso."""

    def do_GET(self) -> None:
        if self._path() == BAOCAO_PATH:
            self._baocao()
            return
        if self._path() == AIR_QUALITY_PATH:
            self._air_quality()
            return
        if self._path() != HOSO_PATH:
            self._reply(404, {"error": "not found"})
            return
        number = self.sim._next_hoso_request()
        delay = self.sim.faults.delay(number)
        if delay > 0:
            time.sleep(delay)
        failure = self.sim.faults.http_failure(number)
        if failure:
            status, headers = failure
            self._reply(status, {"error": f"simulated failure {status}"}, headers)
            return
        if self._bearer() != self.sim.api_key:
            self._reply(401, {"error": "missing or wrong API key"}, {"WWW-Authenticate": "Bearer"})
            return
        try:
            lo, hi, page, page_size = self._params()
        except ValueError as exc:
            self._reply(400, {"error": str(exc)})
            return
        matching = self.sim.window(lo, hi, page, page_size)
        first = (page - 1) * page_size
        items = matching[first : first + page_size]
        if self.sim.faults.duplicate_across_pages and items and first > 0:
            items = [matching[first - 1], *items]
            encoded = None
        else:
            encoded = self.sim._index.encoded(lo, hi, matching)
        payload = {"total": len(matching), "page": page, "page_size": page_size, "items": items}
        if encoded is not None:
            self._reply(200, payload, body=_page_bytes(payload, encoded[first : first + page_size]))
        else:
            self._reply(200, payload, plain=self.sim._index.plain(lo, hi) or None)

    def _baocao(self) -> None:
        """GET /api/v1/congviec/baocao?month=YYYYMM&page=&page_size=: the month's reports as they stand
        at the simulator's now, ordered by MaDonVi, paged like /hoso."""
        if self._bearer() != self.sim.api_key:
            self._reply(401, {"error": "missing or wrong API key"}, {"WWW-Authenticate": "Bearer"})
            return
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        text = (query.get("month") or [""])[0]
        try:
            month = datetime.strptime(text, "%Y%m").date() if len(text) == 6 else None
            page = int((query.get("page") or ["1"])[0] or 1)
            page_size = int((query.get("page_size") or [str(DEFAULT_PAGE_SIZE)])[0] or DEFAULT_PAGE_SIZE)
        except ValueError:
            month = None
        if month is None or page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            self._reply(400, {"error": "month=YYYYMM, page >= 1, 1 <= page_size <= 1000"})
            return
        items = damage_reports(agency_reports(self.sim.seed, month, self.sim.as_of), self.sim.faults.bad_work_records)
        first = (page - 1) * page_size
        self._reply(200, {"total": len(items), "page": page, "page_size": page_size,
                          "items": items[first : first + page_size]})

    def _air_quality(self) -> None:
        """The example sector feed `environment_air_quality` (ioc_simulator/sector_feeds.py): open data, no key."""
        query = parse_qs(urlsplit(self.path).query)
        try:
            lo, hi = (_read_iso_param(query[name][0]).replace(tzinfo=VN) for name in ("from", "to"))
        except (KeyError, IndexError, ValueError) as exc:
            self._reply(400, {"error": f"from and to must be ISO 8601 date-times ({exc})"})
            return
        start = max(lo, datetime.combine(self.sim.start_day, clock_time(), tzinfo=VN))
        items = air_quality_readings(self.sim.seed, start, hi, now=self.sim.as_of.replace(tzinfo=VN))
        self._reply(200, {"items": items})

    def _params(self) -> tuple[datetime, datetime, int, int]:
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)

        def one(name: str, default: str | None = None) -> str:
            values = query.get(name)
            if not values or values[0] == "":
                if default is None:
                    raise ValueError(f"missing parameter {name}")
                return default
            return values[0]

        bounds = []
        for name in ("updated_from", "updated_to"):
            try:
                bounds.append(_read_iso_param(one(name)))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        numbers = []
        for name, default in (("page", "1"), ("page_size", str(DEFAULT_PAGE_SIZE))):
            try:
                numbers.append(int(one(name, default)))
            except ValueError:
                raise ValueError(f"{name} must be an integer") from None
        (lo, hi), (page, page_size) = bounds, numbers
        if lo > hi:
            raise ValueError("updated_from is after updated_to")
        if page < 1:
            raise ValueError("page starts at 1")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        return lo, hi, page, page_size


class _PortalHandler(_JsonHandler):
    """POST /api/v1/auth/token and the paged reporting catalogs, in the portal's envelope."""

    def _envelope(self, status: int, code: str, data=None, message: str = "", **top) -> None:
        self._reply(status, {**top, "code": code, "data": data, "message": message})

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        return body

    def do_POST(self) -> None:
        path = self._path()
        delay = self.sim.faults.delay()
        if delay > 0:
            time.sleep(delay)
        try:
            body = self._body()
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            self._envelope(400, "BAD_REQUEST", message=f"unreadable JSON body: {exc}")
            return
        if path == TOKEN_PATH:
            self._token(body)
        elif path in CATALOG_PATHS:
            self._catalog(CATALOG_PATHS[path], body)
        elif path == ACCOUNTS_PATH:
            self._accounts(body)
        elif path.startswith(EVALUATION_PREFIX):
            self._evaluation(path[len(EVALUATION_PREFIX):], body)
        else:
            self._envelope(404, "NOT_FOUND", message=f"no such endpoint {path}")

    def _token(self, body: dict) -> None:
        if body.get("client_id") != self.sim.client_id or body.get("client_secret") != self.sim.client_secret:
            self._envelope(401, "UNAUTHORIZED", message="wrong client_id or client_secret")
            return
        token, lifetime = self.sim._issue_token()
        grant = {"access_token": token, "expires_in": lifetime}
        # The contract shows the grant at the top level and says every reply is an envelope: do both.
        self._envelope(200, "OK", grant, **grant)

    def _evaluation(self, group: str, body: dict) -> None:
        """The 766 index of one agency and month (portal_metrics.py); errors under HTTP 200."""
        state = self.sim._token_state(self._bearer())
        if state != "ok":
            self._envelope(401, "TOKEN_EXPIRED" if state == "expired" else "UNAUTHORIZED", message=f"token {state}")
            return
        code, data, message = self.sim.portal_index.answer(group, body)
        self._envelope(200, code, data, message)

    def _accounts(self, body: dict) -> None:
        """Citizen accounts of one ended month, paged by `page` / `pageSize` (sources.md §5)."""
        state = self.sim._token_state(self._bearer())
        if state != "ok":
            self._envelope(401, "TOKEN_EXPIRED" if state == "expired" else "UNAUTHORIZED", message=f"token {state}")
            return
        year, month = body.get("year"), body.get("month")
        page, size = body.get("page", 1), body.get("pageSize", PORTAL_DEFAULT_PAGE_SIZE)
        numbers = (year, month, page, size)
        if (not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers) or not 1 <= month <= 12
                or not 2000 <= year <= 2100 or page < 1 or not 1 <= size <= PORTAL_MAX_PAGE_SIZE):
            self._envelope(200, "INVALID_PARAMETER", message="year, month 1-12, page >= 1, 1 <= pageSize <= 1000")
            return
        first = date(year, month, 1)
        if datetime.combine(date(year + month // 12, month % 12 + 1, 1), clock_time()) > self.sim.as_of:
            self._envelope(200, "PERIOD_NOT_ENDED", message=f"{year}-{month:02d} has not ended")
            return
        items = damage_accounts(citizen_accounts(self.sim.seed, first), self.sim.faults.bad_work_records)
        self._envelope(200, "OK", {"items": items[(page - 1) * size : page * size], "currentPage": page,
                                   "totalPages": math.ceil(len(items) / size)})

    def _catalog(self, items: list[dict], body: dict) -> None:
        state = self.sim._token_state(self._bearer())
        if state != "ok":
            self._envelope(401, "TOKEN_EXPIRED" if state == "expired" else "UNAUTHORIZED", message=f"token {state}")
            return
        page, size = body.get("currentPage", 1), body.get("pageSize", PORTAL_DEFAULT_PAGE_SIZE)
        valid = all(isinstance(v, int) and not isinstance(v, bool) for v in (page, size))
        if not valid or page < 1 or not 1 <= size <= PORTAL_MAX_PAGE_SIZE:
            # The portal answers some errors with HTTP 200 and another code (docs/contracts/sources.md §2).
            self._envelope(200, "INVALID_PARAMETER", message="currentPage >= 1, 1 <= pageSize <= 1000")
            return
        data = {
            "items": items[(page - 1) * size : page * size],
            "currentPage": page,
            "totalPages": math.ceil(len(items) / size),
        }
        self._envelope(200, "OK", data)
