"""Data Docs that open offline: the CDN assets GX's pages load, served from the site itself.

Great Expectations writes its Data Docs pages with `<script>`/`<link>` tags pointing at public CDNs
(jQuery, Popper, Bootstrap, bootstrap-table and its filter control, bootstrap-datepicker,
bootstrap-dark, Font Awesome, vega) and at GX's logo on S3 (with the context's id in the query
string). On a machine without Internet access the index, whose table bootstrap-table builds in the
browser, is blank, and the validation pages lose their layout and their pass/fail marks (Font
Awesome icons).

`localise(site_dir)` fixes a written site in place:

1. copies the exact files those URLs serve (`vendor/`, taken from the npm packages of the same
   versions, byte for byte what the CDN serves: `vendor/README.md` lists them, their licences and
   their SHA-384) into `<site>/static/vendor/`, so the site stays self-contained when copied;
2. rewrites every page (and GX's stylesheet) to load them by relative links, drops the
   `integrity`/`crossorigin` attributes of the rewritten tags (a browser refuses `crossorigin`
   loads from `file://`; the bytes are checked against those very hashes by the tests instead),
   points GX's logo at the copy the site already has, and drops the vega scripts from pages that
   draw no chart (no `vegaEmbed`: validation and suite pages of this project never do).

Idempotent: a page already rewritten is left as it is, so it can run after every checkpoint over
the whole site (GX rewrites the index and adds new pages on each run). Whatever still points off
the machine afterwards is returned, and logged, so a GX upgrade that adds an asset does not go
unnoticed.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

VENDOR_DIR = Path(__file__).resolve().parent / "vendor"
SITE_VENDOR = Path("static") / "vendor"  # inside the Data Docs site
SITE_LOGO = Path("static") / "images" / "logo-long.png"  # GX ships it with every site

# The URLs GX 1.x's templates load (great_expectations/render/view/templates/*.j2) -> vendored file.
ASSETS = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper-1.12.9.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table-filter-control-1.19.1.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-filter-control-1.19.0.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-filter-control-1.19.0.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker-1.9.0.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker-1.9.0.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-prefers-dark-1.1.0.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome-6.6.0/css/all.min.css",
}
# A tag loading one of them: its URL, then the SRI attributes that cannot survive file://.
_TAG = re.compile(r'(?P<attr>\b(?:src|href))="(?P<url>' + "|".join(re.escape(u) for u in ASSETS) + r')"'
                  r'(?P<sri>(?:\s+(?:integrity|crossorigin)="[^"]*")*)')
_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"')\s]*?/(?:logo-long|full_logo_dark)\.png"
                   r"(?:\?[^\"')\s]*)?")
_VEGA = re.compile(r'\s*<script src="https://cdn\.jsdelivr\.net/npm/vega(?:-lite|-embed)?@\d+"></script>')
# Anything still loaded from elsewhere: a src/href of a script, stylesheet or image, or a CSS url().
_EXTERNAL_LOAD = re.compile(r'<(?:script|img)\b[^>]*\bsrc="(https?:)?//[^"]+"|<link\b[^>]*\bhref="(https?:)?//[^"]+"'
                            r"|url\(\s*['\"]?(?:https?:)?//[^)]+\)")


def _relative(target: Path, from_dir: Path) -> str:
    return Path(os.path.relpath(target, from_dir)).as_posix()


def localise_text(text: str, site_dir: Path, from_dir: Path) -> str:
    """One page's (or stylesheet's) text with every known asset served from the site."""
    vendor = site_dir / SITE_VENDOR

    def local(match: re.Match) -> str:
        return f'{match["attr"]}="{_relative(vendor / ASSETS[match["url"]], from_dir)}"'

    text = _TAG.sub(local, text)
    text = _LOGO.sub(lambda _: _relative(site_dir / SITE_LOGO, from_dir), text)
    if "vegaEmbed" not in text:
        text = _VEGA.sub("", text)
    return text


def localise(site_dir: Path) -> list[str]:
    """Make the Data Docs site at `site_dir` open offline; returns what still loads from elsewhere."""
    site_dir = Path(site_dir).resolve()
    if not site_dir.is_dir():
        return []
    shutil.copytree(VENDOR_DIR, site_dir / SITE_VENDOR, dirs_exist_ok=True)  # with their licences
    remaining = []
    for path in sorted([*site_dir.rglob("*.html"), *(site_dir / "static" / "styles").glob("*.css")]):
        text = path.read_text(encoding="utf-8")
        new = localise_text(text, site_dir, path.parent)
        if new != text:
            path.write_text(new, encoding="utf-8")
        remaining += [f"{path.relative_to(site_dir)}: {m.group(0)[:120]}" for m in _EXTERNAL_LOAD.finditer(new)]
    for line in remaining:
        log.warning("Data Docs still load from the network (not vendored): %s", line)
    return remaining
