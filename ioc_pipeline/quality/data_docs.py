"""Publishing the Data Docs, the HTML report auditors open, and finding a validation's page in it.

Why one site, configured on every run: the report must be where people look for it
(`config.data_docs_dir()`, `reports/data_docs/` by default), whatever an older context held, so any
other site is removed. `dq.validation_run` keeps the path of each validation's own page, so the run
command's summary can point at it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

SITE_NAME = "local_site"


def configure_site(context: Any, data_docs_dir: Path) -> None:
    """One Data Docs site, `SITE_NAME`, whose HTML lands in `data_docs_dir`."""
    site_config = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(data_docs_dir),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    sites = context.list_data_docs_sites()
    for other in [name for name in sites if name != SITE_NAME]:
        context.delete_data_docs_site(other)
    if SITE_NAME in sites:
        context.update_data_docs_site(SITE_NAME, site_config)
    else:
        context.add_data_docs_site(SITE_NAME, site_config)


def report_path(context: Any, identifier: Any, data_docs_dir: Path) -> str:
    """The absolute path of this validation's page, or of the site's index when it cannot be found."""
    index = (data_docs_dir / "index.html").resolve()
    try:
        urls = context.get_docs_sites_urls(
            resource_identifier=identifier, site_name=SITE_NAME, only_if_exists=True
        )
    except Exception:  # noqa: BLE001 - the index is a good enough fallback
        log.warning("could not locate the Data Docs page of this validation", exc_info=True)
        urls = []
    for entry in urls:
        url = entry.get("site_url") or ""
        if url.startswith("file://"):
            page = Path(unquote(urlsplit(url).path))
            if page.is_file():
                return str(page.resolve())
    return str(index)
