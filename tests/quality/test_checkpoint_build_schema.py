"""The checkpoint reads fct_dossier where the build left it (`schema`, the build DAG's `marts_build`)
while its results keep naming the table `marts.fct_dossier`; one GX context switches between the two."""

from __future__ import annotations

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.quality.checkpoint import run_fct_dossier_checkpoint
from tests.conftest import make_database
from tests.quality.test_checkpoint import COLUMNS, FCT_DOSSIER_DDL, GOOD_ROWS


@pytest.fixture(scope="module")
def warehouse_url(tmp_path_factory):
    url, drop = make_database("ioc_dq_build")
    mp = pytest.MonkeyPatch()
    mp.setenv(config.GX_ROOT_ENV, str(tmp_path_factory.mktemp("gx_root")))
    try:
        with psycopg.connect(url.url) as conn:
            conn.execute(FCT_DOSSIER_DDL)
            conn.execute(FCT_DOSSIER_DDL.replace("marts.fct_dossier", "marts_build.fct_dossier"))
            for schema, rows in (("marts", GOOD_ROWS[:2]), ("marts_build", GOOD_ROWS)):
                with conn.cursor() as cur, cur.copy(f"copy {schema}.fct_dossier ({', '.join(COLUMNS)}) from stdin") as copy:
                    for row in rows:
                        copy.write_row([row[c] for c in COLUMNS])
        yield url.url
    finally:
        mp.undo()
        drop()


def _row_count_seen(url: str, run_id: int) -> tuple[str, str]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select table_checked, observed_value from dq.validation_result where validation_run_id = %s
                  and expectation_type = 'expect_table_row_count_to_be_between'""", (run_id,)).fetchone()


def test_the_schema_read_follows_the_parameter_and_results_name_marts(warehouse_url, tmp_path):
    assert len(GOOD_ROWS) > 2
    seen = []
    for schema in ("marts", "marts_build", "marts"):  # the second and third reuse the stored asset
        kwargs = {} if schema == "marts" else {"schema": schema}
        result = run_fct_dossier_checkpoint(warehouse_url, run_label=f"schema-{schema}",
                                            data_docs_dir=tmp_path / "docs", **kwargs)
        seen.append(_row_count_seen(warehouse_url, result.validation_run_id))
    assert seen == [("marts.fct_dossier", "2"), ("marts.fct_dossier", str(len(GOOD_ROWS))),
                    ("marts.fct_dossier", "2")]
