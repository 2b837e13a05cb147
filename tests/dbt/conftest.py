"""Fixtures of the dbt tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ioc_pipeline import config


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    """The manifest `dbt parse` writes for the project, parsed into a private target folder."""
    target = tmp_path_factory.mktemp("dbt_target")
    env = {**os.environ, **config.QUIET_ENV}
    subprocess.run([str(config.Path(sys.executable).parent / "dbt"), "parse", "--quiet",
                    "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
                    "--target-path", str(target), "--log-path", str(target)], env=env, check=True)
    return json.loads((target / "manifest.json").read_text())
