"""The policy pack sits right above the IAM documents (tests/test_layers.py states every layer): importing
it (as the Pulumi engine does) pulls in neither the driver (deploy/) nor the components, and each of its
source modules stays under 500 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_pack_imports_no_driver_or_component_module() -> None:
    code = (
        "import sys; import policies.guardrails as g; "
        "assert g.POLICIES; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'deploy', 'components'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_no_pack_module_names_the_driver_or_the_components_even_for_typing() -> None:
    upward = []
    for path in (ROOT / "policies").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            upward += [f"{path.name}: {name}" for name in names
                       if name.split(".")[0] in ("deploy", "components")]
    assert upward == []


def test_pack_modules_stay_under_500_lines() -> None:
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in (ROOT / "policies").rglob("*.py")}
    assert "policies/rules/table.py" in sizes
    assert {name: lines for name, lines in sizes.items() if lines > 500} == {}
