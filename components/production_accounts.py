"""A production stack's accounts, checked against the org stack's outputs as soon as they resolve.

The rule itself is ``policies.production.account_problems`` (the pack and ``plan`` use it too). Here the
program applies it: the identity and workload account ids it hands to the two providers pass through the
check, so neither provider (and no resource in either account) exists until the accounts are known to
be placed right: the workload account in a Prod OU, neither in Sandbox or Suspended, and the IdP account
not one that a non-production stack of this project uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from components import config as stack_config
from components.providers import OrgOutputError, OrgStack
from policies.production import account_problems, is_production_stack

ACCOUNT_OUS = "account_ous"  # the org stack's export: account key -> OU path


class ProductionAccountError(OrgOutputError, stack_config.ConfigError):
    """A production stack names an account the org stack places where production never goes.

    A config error found once the org outputs are known: one line naming the stack file and key
    (``plan`` reports it as invalid config; the engine shows a RunError without a traceback).
    """

    def __init__(self, source: str, key: str, message: str) -> None:
        stack_config.ConfigError.__init__(self, source, key, message)


def environment_stacks(root: Path) -> list[str]:
    """The environment stacks that have a stack file at ``root``."""
    names = sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in root.glob("Pulumi.*.yaml"))
    return [name for name in names if name != stack_config.ORG_STACK]


def non_production_identity_accounts(root: Path | None = None) -> dict[str, str]:
    """Identity account key -> the stack file of the (first) non-production stack that uses it.

    ``root``: where the stack files are (default: the project root). A stack file that does not load is
    left out: its own config check reports it.
    """
    found: dict[str, str] = {}
    for stack in environment_stacks(root or stack_config.PROJECT_ROOT):
        if is_production_stack(stack):
            continue
        try:
            settings = stack_config.load_stack_file(stack, root or stack_config.PROJECT_ROOT)
        except stack_config.ConfigError:
            continue
        if isinstance(settings, stack_config.EnvConfig):
            found.setdefault(settings.identity_account.key, stack_config.stack_file(stack))
    return found


def production_account_problems(
    settings: stack_config.EnvConfig,
    org_outputs: Mapping[str, Any],
    non_production_identity: Mapping[str, str],
) -> list[tuple[str, str]]:
    """(key with the project namespace, problem) for a production stack's accounts; none elsewhere."""
    if not settings.is_production:
        return []
    account_ous = org_outputs.get(ACCOUNT_OUS)
    problems = account_problems(
        identity_key=settings.identity_account.key,
        workload_key=settings.workload_account.key,
        account_ous=account_ous if isinstance(account_ous, Mapping) else {},
        non_production_identity=non_production_identity,
    )
    return [(f"{stack_config.PROJECT}:{key}", problem) for key, problem in problems]


def checked_account_ids(
    settings: stack_config.EnvConfig,
    org: OrgStack,
    identity_id: pulumi.Output[str],
    workload_id: pulumi.Output[str],
) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
    """The two account ids, passed on only once a production stack's accounts are placed right.

    Outside production they are returned as they are. A misplaced account raises ProductionAccountError.
    """
    if not settings.is_production:
        return identity_id, workload_id
    source = stack_config.stack_file(settings.environment)
    non_production = non_production_identity_accounts()

    def check(values: list[Any]) -> tuple[str, str]:
        account_ous, identity, workload = values
        if not isinstance(account_ous, Mapping):
            raise OrgOutputError(
                f"stack '{org.name}' exports no '{ACCOUNT_OUS}', which production's account check needs;"
                " update it first (pulumi up -s org)"
            )
        problems = production_account_problems(settings, {ACCOUNT_OUS: account_ous}, non_production)
        if problems:
            key, problem = problems[0]
            raise ProductionAccountError(source, key, problem)
        return identity, workload

    checked = pulumi.Output.all(org.reference.get_output(ACCOUNT_OUS), identity_id, workload_id).apply(check)
    return checked.apply(lambda ids: ids[0]), checked.apply(lambda ids: ids[1])
