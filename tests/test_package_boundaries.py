"""The repository reads in one direction: the rooms import only what they are meant to.

- The pipeline runs against real sources without the simulator: only `ioc_pipeline/demo_sources.py`
  imports `ioc_simulator`, and only the command line imports it, inside a function (lazily).
- The simulator stands on its own: it imports nothing from `ioc_pipeline`.
- Airflow glue is for the DAG files: nothing in `ioc_pipeline` imports `ioc_pipeline.airflow_glue`
  except the glue itself.
- The run command is its own room: outside it, only its catch-up conf (`runner.catch_up`) is
  imported, and only the command line imports the rest.
- Settings are read in one module: `IOC_*` names appear in `ioc_pipeline/config.py` only, and each
  one is documented in README.md and `.env.example`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ioc_pipeline import config

ROOT = config.PROJECT_ROOT
PIPELINE = ROOT / "ioc_pipeline"
SIMULATOR = ROOT / "ioc_simulator"



def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for every import of a file; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found += [(f"{module}.{alias.name}", id(node) in top_level) for alias in node.names]
    return found


def _importers(folder: Path, prefix: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in _modules(folder):
        hits = [name for name, _ in _imports(path) if name == prefix or name.startswith(prefix + ".")]
        if hits:
            out[str(path.relative_to(ROOT))] = hits
    return out


def test_only_the_demo_module_imports_the_simulator():
    assert set(_importers(PIPELINE, "ioc_simulator")) == {"ioc_pipeline/demo_sources.py"}


def test_the_demo_module_is_imported_lazily_and_by_the_command_line_only():
    importers = {}
    for path in _modules(ROOT / "dags") + _modules(PIPELINE):
        levels = [top for name, top in _imports(path) if name.startswith("ioc_pipeline.demo_sources")]
        if levels:
            importers[str(path.relative_to(ROOT))] = levels
    assert importers == {"ioc_pipeline/cli.py": [False, False]}


def test_the_simulator_imports_nothing_from_the_pipeline():
    assert _importers(SIMULATOR, "ioc_pipeline") == {}


def test_airflow_glue_is_imported_by_the_dags_only():
    offenders = {path: names for path, names in _importers(PIPELINE, "ioc_pipeline.airflow_glue").items()
                 if not path.startswith("ioc_pipeline/airflow_glue/")}
    assert offenders == {}
    assert _importers(ROOT / "dags", "ioc_pipeline.airflow_glue")


def test_outside_the_run_command_only_its_catch_up_conf_is_imported():
    offenders = {}
    for path, names in _importers(PIPELINE, "ioc_pipeline.runner").items():
        # The local Airflow stack prepares Airflow and parses dbt exactly as the run command does.
        if path.startswith(("ioc_pipeline/runner/", "ioc_pipeline/stack/")) or path == "ioc_pipeline/cli.py":
            continue
        names = [n for n in names if not n.startswith("ioc_pipeline.runner.catch_up")]
        if names:
            offenders[path] = names
    assert offenders == {}


def _code_strings(path: Path) -> list[str]:
    """The string constants of a file's code (docstrings, which only mention names, left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_ioc_settings_are_read_in_config_only_and_documented():
    pattern = re.compile(r"\bIOC_[A-Z][A-Z_]*\b")
    elsewhere = {str(p.relative_to(ROOT)): sorted({n for text in _code_strings(p) for n in pattern.findall(text)})
                 for p in _modules(PIPELINE) + _modules(ROOT / "dags") if p != PIPELINE / "config.py"}
    assert {path: names for path, names in elsewhere.items() if names} == {}
    settings = set(pattern.findall((PIPELINE / "config.py").read_text(encoding="utf-8")))
    settings.discard(config.GX_WAREHOUSE_URL_ENV)  # not a setting: the checkpoint sets it for GX
    settings.discard(config.STACK_MARK_ENV)  # not a setting: the mark bin/airflow puts on its processes
    settings.discard(config.DBT_BUILD_ENV_PREFIX)  # not settings: what a build passes to dbt
    assert settings >= {"IOC_STATE_DIR", "IOC_AIRFLOW_HOME", "IOC_TASK_RETRIES", "IOC_SIMULATOR_SCALE"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    env_example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert sorted(s for s in settings if f"`{s}`" not in readme) == []
    assert sorted(s for s in settings if not re.search(rf"^# ?{s}=", env_example, re.M)) == []


def test_the_repository_stands_on_its_own():
    """Contracts and domain rules are the project's own docs/: nothing points outside the clone."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    outside = re.compile(r"(\.\./shared/|\bshared/(contracts|domain\.md|notes))")
    offenders = [f for f in tracked if (ROOT / f).is_file() and f != "tests/test_package_boundaries.py"
                 and outside.search((ROOT / f).read_text(encoding="utf-8", errors="ignore"))]
    assert offenders == []
    for doc in ("docs/contracts/sources.md", "docs/contracts/marts.md", "docs/contracts/run.md", "docs/domain.md"):
        assert (ROOT / doc).is_file(), doc
