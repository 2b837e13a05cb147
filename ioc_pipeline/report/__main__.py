"""`python -m ioc_pipeline.report [--out DIR] [--warehouse-url URL]`

Writes the leaders' monthly breakthrough report into `DIR/breakthroughs/` (one page per month and
`index.html`) and the auditors' page into `DIR/auditors/index.html`; DIR defaults to `reports/`.
The warehouse is the run command's: `--warehouse-url`, else `WAREHOUSE_URL`, else the local or
embedded server (`ioc_pipeline.warehouse.locate`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ioc_pipeline import config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ioc_pipeline.report", description=__doc__.split("\n\n")[1])
    parser.add_argument("--out", type=Path, default=config.REPORTS_DIR,
                        help="reports folder (default: %(default)s)")
    parser.add_argument("--warehouse-url", help="postgresql:// URL (default: WAREHOUSE_URL or the local server)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from ioc_pipeline.report import write_auditors_page, write_reports

    if args.warehouse_url:
        url = args.warehouse_url
    else:
        from ioc_pipeline.warehouse.locate import locate

        url = locate().url
    auditors = write_auditors_page(url, args.out / "auditors")  # first: the index links to it
    index = write_reports(url, args.out / "breakthroughs")
    print(f"Breakthrough report: {index}")
    print(f"Auditors' page: {auditors}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
