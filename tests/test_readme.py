"""The README a newcomer reads: short, in the agreed order; every link in it and in docs/ leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deploy import checklist

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MAX_README_BYTES = 12_000  # "under 12 KB" (issue 15)
# Issue 15's order: what it is, quick start, checklist, first deployment, day-2, reference.
SECTIONS = (
    "## 1. What it is",
    "## 2. Quick start (no cloud)",
    "## 3. Manual steps before a first deploy",
    "## 4. First real deployment, step by step",
    "## 5. Day-2 operations: logs, status, wake, cost",
    "## 6. Reference",
)
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _prose(text: str) -> str:
    return _FENCE.sub("", text)


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats."""
    seen: dict[str, int] = {}
    for line in _prose(markdown).splitlines():
        if not line.startswith("#"):
            continue
        slug = re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def _relative_links(path: Path) -> list[str]:
    return [target for target in _LINK.findall(_prose(path.read_text(encoding="utf-8")))
            if not re.match(r"[a-z]+:", target)]


def test_the_readme_is_short() -> None:
    size = len(README.read_bytes())
    assert size < MAX_README_BYTES, f"README.md has {size} bytes; move reference material to docs/"


def test_the_readme_has_the_six_sections_in_order() -> None:
    headings = [line for line in _prose(README.read_text(encoding="utf-8")).splitlines()
                if line.startswith("## ")]
    assert tuple(headings) == SECTIONS


def test_the_checklist_and_the_picture_sit_where_a_newcomer_looks() -> None:
    text = README.read_text(encoding="utf-8")
    assert text.index(SECTIONS[0]) < text.index("docs/diagram-pre.svg") < text.index(SECTIONS[1])
    assert text.index(SECTIONS[2]) < text.index(checklist.README_START) < text.index(SECTIONS[3])


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda path: path.name)
def test_every_relative_link_points_to_an_existing_file_and_heading(path: Path) -> None:
    broken = []
    for target in _relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked.read_text(encoding="utf-8")):
            broken.append(f"{target} (no such heading in {linked.name})")
    assert not broken, f"{path.name}: broken links: {broken}"


def test_the_anchor_slugs_follow_github() -> None:
    headings = "# Stack `org`: the landing zone (management account)\n## 5. Day-2 ops: a, b\n## x\n## x\n"
    anchors = _anchors(headings)
    assert anchors == {"stack-org-the-landing-zone-management-account", "5-day-2-ops-a-b", "x", "x-1"}


def _source_text() -> str:
    """The driver's and the components' Python, with implicitly concatenated string literals joined."""
    files = [*(ROOT / "deploy").glob("*.py"), *(ROOT / "components").rglob("*.py")]
    text = "\n".join(path.read_text(encoding="utf-8") for path in files)
    return re.sub(r"\"\s*\n\s*[rf]*\"", "", text)


def test_every_error_text_troubleshooting_quotes_is_in_the_code() -> None:
    """Each row that starts with a quoted message: every part of it between `...` is in the source."""
    page = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    quoted = [match.group(2).strip()
              for match in re.finditer(r"^\| (`+)(.+?)\1", page, re.MULTILINE)]
    assert len(quoted) >= 15, "the troubleshooting tables lost their quoted messages"
    source = _source_text()
    missing = [text for text in quoted
               for part in text.split("...") if part.strip(" ,") and part.strip(" ,") not in source]
    assert not missing, f"docs/troubleshooting.md quotes texts the code no longer says: {missing}"
