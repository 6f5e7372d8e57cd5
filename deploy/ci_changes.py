"""Which stacks a pull request touches, and which of them CI can preview (.github/workflows/deploy.yml).

    git diff --name-only BASE HEAD | python -m deploy.ci_changes

A changed stack file ``Pulumi.<stack>.yaml`` touches that stack. A file that only documents, tests or
lints (docs/, tests/, *.md, .github/, ...) touches none. Anything else (components/, policies/,
iam_documents/, deploy/, __main__.py, Pulumi.yaml, requirements.txt, an unknown new file) can change
every program, so it touches every stack: unknown paths count as code, never as docs.

CI previews only the stacks a pull request's CI role may reach: ``pre`` (the CI role of
deployments-sdlc). ``prod``'s CI role trusts only the protected environment, so main's run previews it
right before its ``up``; ``org`` and the other management-account stacks need a person's credentials.

Writes ``stacks`` (space-separated, deploy order; empty: nothing to preview), ``touched`` and
``not_previewed`` to ``$GITHUB_OUTPUT`` when set, and prints the same lines.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from components.config import PROJECT_ROOT
from deploy import stacks

# Stacks a pull request's CI role can preview (components/settings/cicd_names.py: the CI role of pre).
PULL_REQUEST_STACKS = ("pre",)
# Paths that never change what a stack declares.
NO_STACK_DIRS = ("docs", "tests", ".github", ".ci", "scripts")
NO_STACK_FILES = ("requirements-dev.txt", "requirements-checkov.txt", ".gitignore", "LICENSE")
NO_STACK_SUFFIXES = (".md", ".txt.example", ".yml.example")
WHY_NOT = {
    "prod": "its CI role trusts only the protected environment 'production'; main's run previews it"
    " before up",
}
MANAGEMENT = "needs management-account credentials (a person's run)"


@dataclass(frozen=True)
class Selection:
    touched: tuple[str, ...]  # deploy order
    preview: tuple[str, ...]  # the touched stacks this pull request's CI can preview
    not_previewed: dict[str, str]  # touched stack -> why CI does not preview it

    def outputs(self) -> dict[str, str]:
        reasons = "; ".join(f"{name}: {why}" for name, why in self.not_previewed.items())
        return {"stacks": " ".join(self.preview), "touched": " ".join(self.touched), "not_previewed": reasons}


def stack_of_file(path: str, table: stacks.StackTable) -> str | None:
    """``pre`` for ``Pulumi.pre.yaml`` at the root (a known stack), else None."""
    parts = PurePosixPath(path).parts
    if len(parts) == 1 and path.startswith("Pulumi.") and path.endswith((".yaml", ".yml")):
        name = path.split(".", 1)[1].rsplit(".", 1)[0]
        return name if name in table.names else None
    return None


def touches_no_stack(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if not parts:
        return True
    if parts[0] in NO_STACK_DIRS or (len(parts) == 1 and parts[0] in NO_STACK_FILES):
        return True
    return path.endswith(NO_STACK_SUFFIXES)


def select(paths: Iterable[str], table: stacks.StackTable) -> Selection:
    """The stacks ``paths`` touch, in ``table``'s deploy order (the table of the checked-out change)."""
    touched: set[str] = set()
    for raw in paths:
        path = raw.strip()
        if not path:
            continue
        stack = stack_of_file(path, table)
        if stack is not None:
            touched.add(stack)
        elif not touches_no_stack(path):
            touched.update(table.names)  # code or project config: every program may change
    ordered = tuple(table.ordered(touched)) if touched else ()
    preview = tuple(name for name in ordered if name in PULL_REQUEST_STACKS)
    not_previewed = {
        name: WHY_NOT.get(name, MANAGEMENT) for name in ordered if name not in PULL_REQUEST_STACKS
    }
    return Selection(ordered, preview, not_previewed)


def write_github_output(values: dict[str, str], path: str | None) -> None:
    """Append ``key=value`` lines (multi-line values as ``key<<DELIMITER``) to ``$GITHUB_OUTPUT``."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for key, value in values.items():
            if "\n" in value:
                delimiter = "EOF_" + key.upper()
                handle.write(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                handle.write(f"{key}={value}\n")


def main(argv: Sequence[str] | None = None) -> int:
    paths = list(argv) if argv else sys.stdin.read().splitlines()
    selection = select(paths, stacks.discover(PROJECT_ROOT))
    values = selection.outputs()
    for key, value in values.items():
        print(f"{key}={value}")
    write_github_output(values, os.environ.get("GITHUB_OUTPUT"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
