"""HTML rendering shared by the leaders' report and the auditors' page.

Templates are Jinja2 files next to this module with autoescaping on (agency and procedure names are
data). The stylesheet `templates/report.css` is inlined into every page, so a page is one file that
needs nothing else. Pages are written to a temporary file first and renamed, so a reader never
opens a half-written page.
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).with_name("templates")


@lru_cache(maxsize=1)
def _env():
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["stylesheet"] = Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))
    env.filters["svg"] = Markup  # chart SVG made by vl-convert from our own specs
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return _env().get_template(template).render(**context)


def write_page(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
