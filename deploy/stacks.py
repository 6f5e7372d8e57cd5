"""The deploy order, as data.

One Pulumi project, three stacks. ``org`` builds the landing zone in the management account; ``pre``
and ``prod`` are environments that read ``org``'s outputs through a StackReference. Everything the
driver does (order, gates, reverse destroy, what may run in parallel) is derived from this table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from components.settings.base import ORG_STACK
from policies.production import is_production_stack

ORG = ORG_STACK


@dataclass(frozen=True)
class StackSpec:
    """One stack and where it sits in the order.

    ``needs``: stacks whose outputs this one reads; they must exist before it and are destroyed after
    it. In a sequential run a failure, a failed smoke check included, stops the stacks after it
    (deploy/orchestrator.py); ``--parallel`` runs stacks together but never before their needs.
    ``production``: a stack that ``destroy`` selects only when it is named, like ``org``
    (policies/production.py, the one definition config, program and policy pack share).
    """

    name: str
    layer: str  # "org" or "environment"
    description: str
    needs: tuple[str, ...] = ()

    @property
    def is_environment(self) -> bool:
        return self.layer == "environment"

    @property
    def production(self) -> bool:
        return is_production_stack(self.name)


STACKS: tuple[StackSpec, ...] = (
    StackSpec(ORG, "org", "landing zone and Identity Center (management account)"),
    StackSpec("pre", "environment", "pre-production environment", needs=(ORG,)),
    StackSpec("prod", "environment", "production environment", needs=(ORG,)),
)
ORDER: tuple[str, ...] = tuple(spec.name for spec in STACKS)
_BY_NAME = {spec.name: spec for spec in STACKS}


def spec(name: str) -> StackSpec:
    return _BY_NAME[name]


def kept_from_destroy() -> list[str]:
    """Stacks that ``destroy`` leaves alone unless named: org and every production stack."""
    return [spec.name for spec in STACKS if spec.name == ORG or spec.production]


def ordered(names: Iterable[str] | None, *, reverse: bool = False) -> list[str]:
    """The selected stacks (default: all) in deploy order, or in destroy order with ``reverse``."""
    chosen = set(ORDER if names is None else names)
    unknown = chosen - set(ORDER)
    if unknown:
        raise ValueError(f"unknown stack(s): {', '.join(sorted(unknown))}; choose from {', '.join(ORDER)}")
    result = [name for name in ORDER if name in chosen]
    return result[::-1] if reverse else result


def waves(names: Sequence[str], *, reverse: bool = False, parallel: bool = False) -> list[list[str]]:
    """Groups of stacks that run one group after the other; stacks in a group run together.

    Sequential (the default): one stack per group, in order. Parallel: a stack joins the first group
    after every stack it needs (forward) or every stack that needs it (reverse) among ``names``.
    """
    ordered_names = ordered(names, reverse=reverse)
    if not parallel:
        return [[name] for name in ordered_names]
    level: dict[str, int] = {}
    for name in ordered_names:
        if reverse:
            before = [other for other in ordered_names if name in spec(other).needs]
        else:
            before = [other for other in spec(name).needs if other in ordered_names]
        level[name] = 1 + max((level[other] for other in before), default=-1)
    groups: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for name in ordered_names:
        groups[level[name]].append(name)
    return groups


def describe_order(*, reverse: bool = False) -> str:
    """Human-readable order with its gates, e.g. for ``plan`` and ``--help``."""
    if reverse:
        kept = " and ".join(kept_from_destroy())
        return " → ".join(ordered(None, reverse=True)) + f" ({kept} only when named with --stack)"
    parts = []
    for name in ORDER:
        stack = spec(name)
        if stack.needs:
            parts.append(f"{name}'s accounts accept role assumption")
        parts.append(name)
        if stack.is_environment:
            parts.append(f"smoke check {name}")
    return " → ".join(parts)
