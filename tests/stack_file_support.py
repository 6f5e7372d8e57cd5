"""Copies of the shipped stack files with their example values replaced by realistic ones.

``preview`` and ``up`` refuse to start while a stack file holds an example value
(deploy/placeholders.py); tests that drive them copy the stack files here first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from components import config
from deploy import placeholders, stacks
from deploy.runner import StackRunner
from tests.configs import FIXTURE_STACKS

ROOT = FIXTURE_STACKS  # the tests' own stack files (tests/configs.py)
REAL_ACCOUNT_ID = "350298761245"  # stands for the user's management account
_REAL_VALUES = {
    "example account id": lambda value: REAL_ACCOUNT_ID,
    "example domain": lambda value: re.sub(r"example\.(com|org|net)", "hiperium-city.dev", value, flags=re.I),
    "example name": lambda value: re.sub(r"-example$", "-hcity7", value, flags=re.I),
    "example repository": lambda value: value.replace("example-org/", "hiperium/"),
}


def _real(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _real(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_real(item) for item in value]
    if isinstance(value, str | int) and not isinstance(value, bool):
        pattern = placeholders.match(str(value))
        if pattern is not None:
            return _REAL_VALUES[pattern.kind](str(value))  # a KeyError: teach this helper the new kind
    return value


def never_built(built: list[bool]) -> Callable[[], StackRunner]:
    """A runner factory that records being called: the tests expect it never is."""

    def build() -> StackRunner:
        built.append(True)
        raise AssertionError("the stack runner was built")

    return build


def copy_with_real_values(target: Path, root: Path = ROOT) -> Path:
    """``target`` holding every stack file of ``root`` with no example value left."""
    target.mkdir(parents=True, exist_ok=True)
    for stack in stacks.stack_names(root):
        source = root / config.stack_file(stack)
        if source.is_file():
            data = yaml.safe_load(source.read_text(encoding="utf-8"))
            (target / source.name).write_text(yaml.safe_dump(_real(data), sort_keys=False), encoding="utf-8")
    assert placeholders.scan_stacks(stacks.stack_names(root), target) == []
    return target
