"""The project's layers, bottom-up, and the rule between them: a module imports only from its own layer
or from layers below it. Every import statement counts, wherever it stands (inside a function, under
``if TYPE_CHECKING:``), and so does ``importlib.import_module("...")`` with a literal name."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Bottom-up. A module belongs to the first layer whose prefix its dotted name starts with (longest first).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("IAM documents", ("iam_documents",)),
    ("policy pack", ("policies",)),
    # app_contract: the Tasks image's contract, a leaf data module that the settings read (no project import).
    ("settings", ("components.settings", "components.app_contract")),
    ("components", ("components",)),
    ("driver", ("deploy",)),
    ("program and scripts", ("__main__", "scripts")),
)
SOURCE_DIRS = ("iam_documents", "policies", "components", "deploy", "scripts")


def layer_of(module: str) -> int | None:
    """The layer index of a project module, or None for a module outside the project (stdlib, pulumi...)."""
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
               if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1] if matches else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """(line, dotted module name) of every import in ``path``, relative imports resolved."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = [*base, *([node.module] if node.module else [])]
            if module:
                yield node.lineno, ".".join(module)
            # `from components import settings` imports components.settings
            yield from ((node.lineno, ".".join([*module, alias.name])) for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.lineno, node.args[0].value


def project_sources() -> list[Path]:
    paths = [ROOT / "__main__.py"]
    for folder in SOURCE_DIRS:
        paths += sorted((ROOT / folder).rglob("*.py"))
    return paths


def upward_imports(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        own = layer_of(module_name(path))
        assert own is not None, f"{path.relative_to(ROOT)} is in no layer"
        for line, name in imported_names(path):
            target = layer_of(name)
            if target is not None and target > own:
                found.append(f"{path.relative_to(ROOT)}:{line}: {LAYERS[own][0]} imports {name} "
                             f"({LAYERS[target][0]})")
    return sorted(set(found))


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    sources = project_sources()
    assert {module_name(path).split(".")[0] for path in sources} >= {
        "iam_documents", "policies", "components", "deploy", "scripts", "__main__"}
    assert upward_imports(sources) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from deploy import simulate\n", "policy pack imports deploy.simulate (driver)"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from components.settings import base\n",
         "policy pack imports components.settings (settings)"),
        ("def f():\n    from components import program\n", "policy pack imports components.program"),
        ("import importlib\nimportlib.import_module('deploy.plan')\n", "policy pack imports deploy.plan"),
        ("from . import base\nfrom .. import guardrails\nfrom ... import deploy\n",
         "policy pack imports deploy (driver)"),
    ],
)
def test_an_upward_import_of_any_form_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               source: str, expected: str) -> None:
    # A module of the pack, written in a scratch copy of the tree's layout.
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    module = tmp_path / "policies" / "rules" / "upward.py"
    module.parent.mkdir(parents=True)
    module.write_text(source, encoding="utf-8")
    found = upward_imports([module])
    assert any(expected in line for line in found), found


def test_a_downward_import_is_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    module = tmp_path / "components" / "settings" / "down.py"
    module.parent.mkdir(parents=True)
    module.write_text("from iam_documents import documents\nfrom policies import production\n"
                      "from components.settings import base\nimport json\n", encoding="utf-8")
    assert upward_imports([module]) == []


def test_importing_the_documents_package_imports_no_other_project_package() -> None:
    code = (
        "import sys; import iam_documents.documents, iam_documents.iam_analysis, iam_documents.access_role; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'policies', 'deploy', 'components'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
