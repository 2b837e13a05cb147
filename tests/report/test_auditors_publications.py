"""The auditors' page lists the latest publications of the marts (audit.marts_publication), read as
`auditor`: which run, published or not, how many marts, and why not. Plain HTML parsing, no browser."""

from __future__ import annotations

from html.parser import HTMLParser

import psycopg

from tests.conftest import make_database


class _Rows(HTMLParser):
    """The cells of each <tr data-publication=...> of the page."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-publication" in attrs:
            self._row = self.rows.setdefault(attrs["data-publication"], [])
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_the_page_lists_the_latest_publications_newest_first(tmp_path):
    from ioc_pipeline.report import write_auditors_page

    url, drop = make_database("ioc_aud_pub")
    try:
        with psycopg.connect(url.url, autocommit=True) as conn:
            conn.execute("""insert into audit.marts_publication (run_label, published_at, status, marts_count, marts,
                                                                 lock_wait_seconds)
                            values ('run-1', now(), 'published', 13, '{fct_dossier}', 0.25)""")
            conn.execute("""insert into audit.marts_publication (run_label, status, reason, lock_wait_seconds)
                            values ('run-2', 'refused', 'critical data-quality checks failed for run run-2', 0)""")
        page = write_auditors_page(url.url, tmp_path)
        html = page.read_text(encoding="utf-8")
        parser = _Rows()
        parser.feed(html)
        assert list(parser.rows) == ["2", "1"]  # newest first
        assert parser.rows["1"][1] == "run-1" and parser.rows["1"][3] == "Đã công bố"
        assert parser.rows["1"][4:6] == ["13", "0,3"]  # 0.25 s, one decimal, Vietnamese comma
        assert parser.rows["2"][3] == "Không công bố (chưa đạt)" and parser.rows["2"][4] == "0"
        assert parser.rows["2"][6] == "critical data-quality checks failed for run run-2"
        assert "4. Công bố các bảng marts" in html
    finally:
        drop()
