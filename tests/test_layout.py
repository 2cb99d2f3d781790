"""The test layout (issue 12): shared helpers live in tests/support, and no test module imports another - a test
module is read by pytest alone, so moving or renaming one never breaks a second."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
HELPERS = "tests.support"
MODULES = sorted(p for p in TESTS.rglob("*.py") if "fixtures" not in p.relative_to(TESTS).parts)


def foreign_imports(source: str) -> list[str]:
    """The imports of `source` that reach into tests/ anywhere but tests/support (relative imports included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            found.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom) and node.module == "tests":
                names = [f"tests.{a.name}" for a in node.names]
            found += [n for n in names if n.split(".")[0] == "tests" and not f"{n}.".startswith(f"{HELPERS}.")]
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(TESTS)))
def test_no_module_imports_a_test_module(path: Path) -> None:
    assert foreign_imports(path.read_text(encoding="utf-8")) == [], f"move the shared code into {HELPERS}"


def test_helpers_live_in_tests_support() -> None:
    """Outside tests/support a module is a test module, a conftest or a package marker."""
    stray = [
        str(p.relative_to(TESTS))
        for p in MODULES
        if p.parent.name != "support" and not (p.name.startswith("test_") or p.name in ("conftest.py", "__init__.py"))
    ]
    assert stray == [], f"helpers belong in tests/support: {stray}"


@pytest.mark.parametrize(
    "source",
    [
        "from tests.model.test_load import tenant",
        "from tests.render import test_router",
        "import tests.proofs.graph",
        "from tests.conftest import load_stack_spec",
        "from .test_vms import vm",
        "def f():\n    from tests.render.netns import run\n",
    ],
)
def test_twin_an_import_of_a_test_module_is_seen(source: str) -> None:
    assert foreign_imports(source)


def test_twin_imports_of_the_helpers_and_the_program_pass() -> None:
    assert foreign_imports("from tests.support.shell import shellcheck\nimport tests.support\nimport model.load") == []
    assert foreign_imports("from tests import support") == []
