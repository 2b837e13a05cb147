"""Great Expectations Data Docs open offline (`ioc_pipeline/quality/offline_docs.py`).

- the vendored files are the ones GX's templates load, byte for byte (the SHA-384 its templates
  pin, where they pin one), and every asset URL of the installed GX's templates is vendored (a GX
  upgrade that adds one fails here, not in front of an auditor);
- a real checkpoint's site, opened in headless Chromium with the network unreachable, requests
  nothing from the network, its index table is built (bootstrap-table ran) and its validation page
  laid out, with the pass/fail marks' font on the machine.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import psycopg
import pytest

import great_expectations
from ioc_pipeline.quality import offline_docs
from ioc_pipeline.quality.checkpoint import run_fct_dossier_checkpoint
from tests.conftest import make_database
from tests.quality.test_checkpoint import FCT_DOSSIER_DDL, GOOD_ROWS, dossier, load
from tests.report.browser import parse, visit

TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
ARTIFACTS = Path(__file__).resolve().parents[2] / "reports" / "ci-artifacts"


def test_the_vendored_files_are_what_the_gx_templates_load():
    urls = set()
    pinned = {}
    for template in TEMPLATES.glob("*.j2"):
        text = template.read_text(encoding="utf-8")
        urls |= set(re.findall(r'(?:src|href)="(https://[^"]+\.(?:js|css))"', text))
        pinned.update(re.findall(r'src="(https://[^"]+)" integrity="(sha384-[^"]+)"', text))
    vega = {u for u in urls if "/npm/vega" in u}
    assert urls - vega == set(offline_docs.ASSETS)
    assert len(pinned) == 2  # popper and bootstrap's JS
    for url, integrity in pinned.items():
        data = (offline_docs.VENDOR_DIR / offline_docs.ASSETS[url]).read_bytes()
        assert "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode() == integrity, url
    # every vendored file is listed, with its hash, in the vendor README (and every licence is there)
    readme = (offline_docs.VENDOR_DIR / "README.md").read_text(encoding="utf-8")
    for path in offline_docs.VENDOR_DIR.rglob("*"):
        if path.is_file() and path.parent.name != "licenses" and path.name != "README.md":
            digest = "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()
            assert f"`{path.relative_to(offline_docs.VENDOR_DIR).as_posix()}` | {path.stat().st_size} | {digest}" \
                in readme, path


def test_rewriting_a_page_is_relative_to_its_folder_and_idempotent(tmp_path):
    page = ('<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>\n'
            '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>\n'
            '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
            'integrity="sha384-x" crossorigin="anonymous"></script>\n'
            '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1&id=2">')
    deep = tmp_path / "validations" / "suite" / "run"
    once = offline_docs.localise_text(page, tmp_path, deep)
    assert once == ('<link rel="stylesheet" href="../../../static/vendor/bootstrap-4.3.1.min.css"/>\n'
                    '<script src="../../../static/vendor/bootstrap-4.3.1.min.js"></script>\n'
                    '<img src="../../../static/images/logo-long.png">')
    assert offline_docs.localise_text(once, tmp_path, deep) == once
    # a page that draws a chart keeps its vega scripts (and is reported as still loading them)
    chart = page + "<script>vegaEmbed('#c', spec)</script>"
    assert "npm/vega@5" in offline_docs.localise_text(chart, tmp_path, tmp_path)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    url, drop = make_database("ioc_offline_docs")
    root = tmp_path_factory.mktemp("gx")
    mp = pytest.MonkeyPatch()
    mp.setenv("IOC_GX_ROOT", str(root))
    try:
        with psycopg.connect(url.url) as conn:
            conn.execute(FCT_DOSSIER_DDL)
        load(url.url, GOOD_ROWS + [dossier("BAD-1", channel="fax")])  # one critical failure
        result = run_fct_dossier_checkpoint(url.url, run_label="offline-docs-1", data_docs_dir=root / "docs")
        yield root / "docs", Path(result.report_path)
    finally:
        mp.undo()
        drop()


def _built_tables(dom) -> list:
    """The containers bootstrap-table adds around a table it has built (so its JavaScript ran)."""
    return [n for n in dom.iter() if "fixed-table-container" in n.attrs.get("class", "").split()]


def test_the_data_docs_index_and_validation_page_open_offline(site):
    docs, page = site
    assert page.is_file() and "validations" in page.parts
    assert offline_docs.localise(docs) == []  # nothing left that loads from elsewhere
    index = visit(docs / "index.html", ARTIFACTS / "data-docs-index-offline.png", window=(1240, 900))
    assert index.page_requests == []
    dom = parse(index.dom)
    assert _built_tables(dom)  # bootstrap-table built the table
    assert "offline-docs-1" in dom.text() and "marts.fct_dossier" in dom.text()
    seen = visit(page, ARTIFACTS / "data-docs-validation-offline.png", window=(1240, 1400))
    assert seen.page_requests == []
    dom = parse(seen.dom)
    assert _built_tables(dom)
    # the marks are Font Awesome icons: their font is on the machine, next to the stylesheet
    icons = {n.attrs["class"] for n in dom.iter() if n.tag == "i" and "fa-" in n.attrs.get("class", "")}
    assert any("fa-check-circle" in c for c in icons) and any("fa-times" in c for c in icons)
    css = docs / "static" / "vendor" / "fontawesome-6.6.0" / "css" / "all.min.css"
    for font in set(re.findall(r"url\(\.\./webfonts/([\w-]+\.woff2)\)", css.read_text(encoding="utf-8"))):
        assert (css.parent.parent / "webfonts" / font).is_file(), font
