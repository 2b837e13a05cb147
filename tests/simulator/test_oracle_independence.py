"""The simulator, and so the ground truth it carries, shares no code with the warehouse it checks: no
module of `ioc_simulator` imports anything from `ioc_pipeline` (nor reads the dbt project)."""

from __future__ import annotations

import ast
from pathlib import Path

import ioc_simulator

PACKAGE = Path(ioc_simulator.__file__).resolve().parent


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):  # every import, also those inside functions
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_simulator_module_imports_the_pipeline():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert {p.name for p in modules} >= {"calendar.py", "truth.py", "dossiers.py", "operators.py", "edge_cases.py"}
    offending = {p.relative_to(PACKAGE).as_posix(): name for p in modules for name in _imports(p)
                 if name == "ioc_pipeline" or name.startswith("ioc_pipeline.")}
    assert offending == {}


def _string_constants(path: Path) -> list[str]:
    """String literals of a module, docstrings left out (they may name what the module stays away from)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings]


def test_no_simulator_module_reads_the_dbt_project_or_the_holidays_package():
    for path in sorted(PACKAGE.rglob("*.py")):
        assert not any("dbt_project" in s or ".csv" in s and "seeds" in s for s in _string_constants(path)), path.name
        assert "holidays" not in _imports(path), path.name
