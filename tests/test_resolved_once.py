"""One ``run_plan()`` validates each stack once and hands the result down: each policy document is
loaded once, and each stack's resolved settings (SCPs, inline policies, assignments, the Tasks Service
plan) are computed once, at load; the program and the components only declare resources from them."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from components import config, load_once
from components.settings import identity_center, tasks_service
from components.settings.resolved import NotResolved
from deploy import plan, stacks
from iam_documents import documents
from tests.configs import FIXTURE_STACKS, stack_values


def _count_calls(monkeypatch: pytest.MonkeyPatch, function: Callable[..., Any], calls: Counter[str],
                 key: Callable[..., str]) -> None:
    """Wrap ``function`` wherever this project's modules hold it (its module and every `from` import)."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[key(*args, **kwargs)] += 1
        return function(*args, **kwargs)

    for module in list(sys.modules.values()):
        if module is None or not module.__name__.startswith(
            ("components", "deploy", "policies", "iam_documents")
        ):
            continue
        for name, value in list(vars(module).items()):
            if value is function:
                monkeypatch.setattr(module, name, counted)


def test_one_plan_loads_each_policy_document_and_resolves_each_stack_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from components import program  # noqa: F401  (imported so its bindings are wrapped too)

    documents_loaded: Counter[str] = Counter()
    resolved: Counter[str] = Counter()
    _count_calls(monkeypatch, documents.load, documents_loaded, lambda path, *_, **__: str(path))
    for function in (config.load_scps, identity_center.load_permission_set_policies,
                     identity_center.assignment_origins):
        _count_calls(monkeypatch, function, resolved, lambda *_, name=function.__name__, **__: name)
    _count_calls(monkeypatch, tasks_service.tasks_service_plan, resolved,
                 lambda settings, *_, **__: f"tasks_service_plan:{settings.environment}")

    report = plan.run_plan()

    assert report.ok, [(p.stack, p.message) for p in report.plans]
    assert documents_loaded, "no policy document was loaded"
    assert {path: n for path, n in documents_loaded.items() if n != 1} == {}
    shipped = stacks.discover(config.PROJECT_ROOT)
    environments = shipped.environments()
    assert environments, "no environment stack shipped"
    assert resolved == Counter(
        {"load_scps": 1, "load_permission_set_policies": 1, "assignment_origins": 1}
        | {f"tasks_service_plan:{stack}": 1 for stack in environments}
    )


def test_the_program_declares_from_what_load_resolved() -> None:
    org = config.load_stack_file(stacks.ORG, FIXTURE_STACKS)
    assert isinstance(org, config.OrgConfig)
    assert set(org.resolved.service_control_policies) == {scp.name for scp in org.service_control_policies}
    assert org.resolved.assignments == tuple(identity_center.resolve_assignments(org))
    unchecked = config.OrgConfig.model_validate({})  # valid, but never checked across keys
    with pytest.raises(NotResolved, match=r"not built by components\.config\.load"):
        _ = unchecked.resolved


def test_loads_are_remembered_only_inside_one_run() -> None:
    raw = stack_values("pre")
    assert config.load("pre", raw) is not config.load("pre", raw)  # a test may change a policy file between
    with load_once.once():
        first = config.load("pre", raw)
        assert config.load("pre", raw) is first
        changed = {**raw, "region": "eu-west-1"}
        assert config.load("pre", changed) is not first
        assert config.load("pre", raw, source="other.yaml") is not first
