"""Shared fixtures: run a stack's whole program under Pulumi mocks and return what it declared.

The stacks' values default to the tests' frozen copies (tests/configs.py), not the shipped stack files.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components import config, program  # noqa: E402
from deploy.simulate import Recording, simulate  # noqa: E402
from tests.configs import stack_values  # noqa: E402


def run_stack(
    stack: str,
    raw: Mapping[str, Any] | None = None,
    *,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> Recording:
    """Validate ``raw`` (default: the frozen copy of the stack file) and run its program under mocks."""
    values = dict(stack_values(stack) if raw is None else raw)
    settings = config.load(stack, values)
    return simulate(stack, lambda: program.build(settings), raw_config=values, stack_outputs=stack_outputs)


@functools.cache
def _org_outputs(values_json: str) -> Mapping[str, Any]:
    return run_stack("org", json.loads(values_json)).outputs


def recorded_org_outputs() -> dict[str, Any]:
    """The frozen org stack's outputs under mocks, as a copy a test may modify.

    Environment tests only read them (the org program's own tests run it per test), so the run is
    cached by the values' content: an edit of the frozen copy runs it again.
    """
    return copy.deepcopy(dict(_org_outputs(json.dumps(stack_values("org"), sort_keys=True))))


def set_props(**values: Any) -> Callable[[dict[str, Any]], None]:
    """A fault for a recorded resource's properties: set each value, or remove the key when it is None."""

    def change(props: dict[str, Any]) -> None:
        for key, value in values.items():
            if value is None:
                props.pop(key, None)
            else:
                props[key] = value

    return change


def run_env_stack(
    stack: str,
    raw: Mapping[str, Any] | None = None,
    *,
    org_outputs: Mapping[str, Any] | None = None,
) -> Recording:
    """Run an environment stack with the org stack's outputs behind its StackReference.

    ``org_outputs`` defaults to the recorded outputs of the frozen org stack; the reference's name is the
    environment's ``orgStack`` setting.
    """
    values = dict(stack_values(stack) if raw is None else raw)
    settings = config.load(stack, values)
    assert isinstance(settings, config.EnvConfig), f"{stack} is not an environment stack"
    outputs = recorded_org_outputs() if org_outputs is None else dict(org_outputs)
    return run_stack(stack, values, stack_outputs={settings.org_stack: outputs})


@pytest.fixture
def org_raw() -> dict[str, Any]:
    """The frozen org stack's values, to copy and modify in a test."""
    return stack_values("org")


@pytest.fixture
def org_recording() -> Recording:
    """The frozen org stack's program under mocks, run for each test (~0.2 s): every test that reads it
    runs the code it asserts (mutation tools link a test to the code it ran)."""
    return run_stack("org")


RunStack = Callable[..., Recording]


@pytest.fixture(autouse=True)
def _outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver refuses a local state backend when CI is set (deploy/backend.py); the tests that use
    one must not depend on whether the suite itself runs in CI. Tests of that rule set CI themselves."""
    for name in ("CI", "DEPLOY_ALLOW_LOCAL_BACKEND", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
