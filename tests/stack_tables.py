"""Stack tables the driver tests hand to the driver (deploy/stacks.py), instead of the shipped stack files.

``THREE`` has the shape of the shipped project (org, then pre and prod, each needing org), so the tests
about ordering, gates, reverse destroy, parallel waves and what destroy keeps own their order.
"""

from __future__ import annotations

from deploy.stacks import ENVIRONMENT_LAYER, ORG, ORG_LAYER, StackSpec, StackTable


def org(order: int = 0) -> StackSpec:
    return StackSpec(ORG, ORG_LAYER, "landing zone (test table)", order)


def environment(name: str, order: int, needs: tuple[str, ...] = (ORG,)) -> StackSpec:
    return StackSpec(name, ENVIRONMENT_LAYER, f"environment {name} (test table)", order, needs)


def table(*environments: tuple[str, int]) -> StackTable:
    """org at 0 and the environments ``(name, deployOrder)``, each needing org."""
    return StackTable.of(org(), *(environment(name, order) for name, order in environments))


THREE = table(("pre", 10), ("prod", 20))
