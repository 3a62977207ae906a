"""The layers of apps (README, "Layers"; the contract is ``[tool.importlinter]`` in
pyproject.toml): the tree keeps them, and import-linter does refuse a forbidden import.

import-linter runs in a subprocess, with the tree to check first on ``PYTHONPATH``: in this
process ``carenet`` is already imported from the worktree, and the graph would be built
from it whatever the path. No database, a few seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache"],  # reads root/pyproject.toml
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package's Python files and of pyproject.toml."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "carenet",
        root / "carenet",
        ignore=shutil.ignore_patterns(
            "__pycache__", "locale", "static", "templates", "data", "*.html", "*.pyc"
        ),
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_the_tree_keeps_the_layers() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_copy_keeps_the_layers_before_it_is_changed(tree_copy: Path) -> None:
    # The copy is checked at all (PYTHONPATH wins over the installed worktree): unchanged,
    # it keeps the contract, so the failures below come from the lines they add.
    result = _lint(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_forbidden_import_breaks_the_layers(tree_copy: Path) -> None:
    broken = tree_copy / "broken"
    shutil.copytree(tree_copy, broken)
    pkg = broken / "carenet"
    # A low app importing a page module of the top layer (a module-level import).
    _append(pkg / "children" / "rules.py", "\nfrom carenet.web import views  # noqa\n")
    # A function-local import counts as much: hiding it in a function does not help.
    _append(
        pkg / "orgs" / "selectors.py",
        "\n\ndef _dodge():\n    from carenet.children import models  # noqa\n\n    return models\n",
    )
    # A peer of the same layer declared independent ("|"): pairing may not import
    # childplans.
    _append(pkg / "pairing" / "services.py", "\nimport carenet.childplans.models  # noqa\n")
    # A new app must be given its layer (the contract is exhaustive).
    (pkg / "newapp").mkdir()
    (pkg / "newapp" / "__init__.py").write_text("", encoding="utf-8")

    result = _lint(broken)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "0 kept, 1 broken" in out
    assert "carenet.children is not allowed to import carenet.web" in out
    assert "carenet.children.rules -> carenet.web.views" in out
    assert "carenet.orgs is not allowed to import carenet.children" in out
    assert "carenet.orgs.selectors -> carenet.children.models" in out
    assert "carenet.pairing is not allowed to import carenet.childplans" in out
    assert "carenet.pairing.services -> carenet.childplans.models" in out
    assert "carenet.newapp" in out and "not listed as layers" in out


def test_an_upward_import_in_a_sibling_layer_of_the_top_is_refused(tree_copy: Path) -> None:
    # Even the top: the web app may not import the command line, nor api the web app.
    broken = tree_copy / "broken_top"
    shutil.copytree(tree_copy, broken)
    pkg = broken / "carenet"
    _append(pkg / "api" / "selectors.py", "\nfrom carenet.web import selectors  # noqa\n")
    _append(pkg / "web" / "context.py", "\nimport carenet.cli  # noqa\n")

    result = _lint(broken)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "carenet.api is not allowed to import carenet.web" in out
    assert "carenet.web is not allowed to import carenet.cli" in out
