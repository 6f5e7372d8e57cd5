"""Example values in the stack files, which must never reach AWS.

The shipped stack files carry example values (account ``111111111111``, addresses on example.com,
Cognito domain prefixes ending in ``-example``) so that ``plan`` runs out of the box. ``plan`` lists each
one as a warning (:func:`check`); ``preview`` and ``up`` refuse to start while any remain
(deploy/cli.py). A placeholder is a literal value present in a stack file: a key left unset because
the program derives it is not one.

:data:`PATTERNS` is the table of what counts as an example value; add a row to catch another kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components import config as stack_config
from deploy.stack_checks import WARNING, Finding, StackContext


@dataclass(frozen=True)
class PlaceholderPattern:
    kind: str  # what the value is an example of, shown to the user
    pattern: re.Pattern[str]  # searched in the value's text
    replace_with: str  # what the user should put there instead


PATTERNS: tuple[PlaceholderPattern, ...] = (
    PlaceholderPattern(
        "example account id",
        # Twelve equal digits, or the id AWS's documentation uses in its examples.
        re.compile(r"^(?:(\d)\1{11}|123456789012)$"),
        "your real 12-digit account id",
    ),
    PlaceholderPattern(
        "example domain",
        # RFC 2606 reserves example.com/.org/.net: nobody receives mail there, nothing is served there.
        re.compile(r"(?:^|[@./])example\.(?:com|org|net)(?:$|[/:?#])", re.IGNORECASE),
        "an address or domain you own",
    ),
    PlaceholderPattern(
        "example name",
        re.compile(r"-example$", re.IGNORECASE),
        "a name of your own (Cognito domain prefixes are global to their region)",
    ),
    PlaceholderPattern(
        "example repository",
        # The cicd stack's token subjects (Pulumi.cicd.yaml): repo:example-org/<name>:...
        re.compile(r"(?:^|:)example-org/"),
        "your repository (owner/name) in the CI's token subjects",
    ),
    PlaceholderPattern(
        "template marker",
        re.compile(r"<[A-Za-z][\w .-]*>|x{8,}", re.IGNORECASE),
        "the real value",
    ),
)


@dataclass(frozen=True)
class Placeholder:
    """One example value: in which stack file, under which key, and what kind of example it is."""

    source: str  # the stack file, e.g. Pulumi.org.yaml
    key: str  # e.g. landing-zone:accounts[0].email
    value: str
    kind: str
    replace_with: str

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.value}"


def _leaves(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(key path, text) of every scalar in a config value; encrypted ``secure:`` values are skipped."""
    if isinstance(value, Mapping):
        if set(value) == {"secure"}:
            return
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    elif isinstance(value, str | int) and not isinstance(value, bool):
        yield path, str(value)


def match(value: str) -> PlaceholderPattern | None:
    """The first pattern that ``value`` matches, or None when it is not an example value."""
    return next((p for p in PATTERNS if p.pattern.search(value)), None)


def scan(file_config: Mapping[str, Any], source: str) -> list[Placeholder]:
    """Every example value in a stack file's ``config:`` block, in file order."""
    found = []
    for top, value in file_config.items():
        for key, text in _leaves(value, str(top)):
            pattern = match(text)
            if pattern is not None:
                found.append(Placeholder(source, key, text, pattern.kind, pattern.replace_with))
    return found


def scan_stacks(names: Iterable[str], root: Path = stack_config.PROJECT_ROOT) -> list[Placeholder]:
    """Every example value in the stack files of ``names`` (files that do not exist are skipped)."""
    found: list[Placeholder] = []
    for name in names:
        if (root / stack_config.stack_file(name)).is_file():
            found.extend(scan(stack_config.read_stack_file_config(name, root), stack_config.stack_file(name)))
    return found


def refusal(operation: str, found: list[Placeholder]) -> str:
    """Why ``operation`` does not start: every placeholder, one per line."""
    lines = [
        f"{operation} refused: {len(found)} example value(s) left in the stack files would reach AWS; "
        "replace each with a real value (python -m deploy plan lists them too):"
    ]
    lines += [f"  {placeholder}  ({placeholder.kind})" for placeholder in found]
    return "\n".join(lines)


def check(context: StackContext) -> list[Finding]:
    """Stack check: each example value in the stack file is a warning (``preview``/``up`` refuse it)."""
    return [
        Finding(
            "placeholders",
            WARNING,
            f"{placeholder.source}: {placeholder.key}",
            f"'{placeholder.value}' is a placeholder ({placeholder.kind}); put {placeholder.replace_with} "
            "there: preview and up refuse to start until then",
        )
        for placeholder in scan(context.file_config, context.source)
    ]
