"""Open a local page in headless Chromium (Debian's `chromium`) and report what the browser saw.

One launch per page: `--dump-dom` gives the DOM after parsing and rendering, `--screenshot` a PNG,
and `--log-net-log` Chromium's own record of every network request. A request the page made has
the page's site (`file://`) in its network isolation key; requests Chromium makes for itself
(update checks and the like, not the page's doing) have none. Host resolution is mapped to
nothing, so not even those can leave the machine while a test runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
# A4 at 150 dpi is 1240 px wide; the height takes in the first printed page or two.
WINDOW = (1240, 2400)


def chromium() -> str:
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium is not installed (Debian: apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)  # CI installs it (.ci/run): a missing browser there is a broken setup
    pytest.skip(message)


@dataclass
class Visit:
    dom: str
    page_requests: list[str]
    screenshot: Path | None


def _page_requests(net_log: Path) -> list[str]:
    data = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in data.get("events", []):
        params = event.get("params") or {}
        if event.get("type") == start_job and "file://" in str(params.get("network_isolation_key", "")):
            urls.append(params.get("url", "?"))
    return urls


def visit(page: Path, screenshot: Path | None = None, window: tuple[int, int] = WINDOW) -> Visit:
    with tempfile.TemporaryDirectory(prefix="chromium-") as tmp:
        net_log = Path(tmp) / "net.json"
        args = [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={tmp}/profile", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--log-net-log={net_log}",
            f"--window-size={window[0]},{window[1]}", "--virtual-time-budget=3000",
        ]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            args.append(f"--screenshot={screenshot}")
        args += ["--dump-dom", page.resolve().as_uri()]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return Visit(dom=proc.stdout, page_requests=_page_requests(net_log), screenshot=screenshot)


# --------------------------------------------------------------------------------------------
# A small DOM over the dumped HTML (stdlib only)


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: "Node | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [n for n in self.iter() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k) == v for k, v in wanted.items())]

    def find(self, tag: str | None = None, **attrs: str) -> "Node":
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'}> with {attrs}"
        return found[0]

    def field(self, name: str) -> str:
        return self.find(data_field=name).text()


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
