"""What a stack's program declares from, beyond its validated settings: resolved once, at load.

``components.config.load`` validates a stack file and, on the way, loads its policy documents and
resolves what the settings only describe (assignments, the Tasks Service plan, the user pool's
protections). It attaches the result to the config it returns (``OrgConfig.resolved``,
``EnvConfig.resolved``), so the program and the components declare resources from it and never
recompute or re-validate it: each policy file is read once per run, each error raised once, at load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

from components.settings.identity_center import ResolvedAssignment
from components.settings.production import PoolProtections
from components.settings.tasks_service import TasksServicePlan
from iam_documents.documents import PolicyDocument


@dataclass(frozen=True)
class OrgResolved:
    """The org stack's policy documents and assignments, validated."""

    service_control_policies: Mapping[str, PolicyDocument]  # SCP name -> document
    inline_policies: Mapping[str, PolicyDocument]  # permission set name -> its inline policy
    assignments: tuple[ResolvedAssignment, ...]  # one per (principal, permission set, account), in order


@dataclass(frozen=True)
class EnvResolved:
    """An environment stack's Tasks Service plan and user pool protections."""

    tasks_service: TasksServicePlan
    user_pool: PoolProtections


class NotResolved(RuntimeError):
    """A config built without ``components.config.load`` (so never checked across keys) reached a program."""


def not_resolved(config: object) -> NoReturn:
    raise NotResolved(f"this {type(config).__name__} was not built by components.config.load: load the stack")
