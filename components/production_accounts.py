"""A production stack's accounts, checked against the org stack's outputs before anything is declared.

The rule itself is ``policies.production.account_problems`` (the pack and ``plan`` use it too). Here the
program applies it to the org outputs it reads first (components/org_references.py), so no provider,
and no resource in either account, exists until the accounts are known to be placed right: the
workload account in a Prod OU, neither in Sandbox or Suspended, and the IdP account not one that a
non-production stack of this project uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components import config as stack_config
from policies.production import account_problems, is_production_stack

ACCOUNT_OUS = "account_ous"  # the org stack's export: account key -> OU path


class ProductionAccountError(stack_config.ConfigError):
    """A production stack names an account the org stack places where production never goes.

    A config error found once the org outputs are known: one line naming the stack file and key.
    """


def environment_stacks(root: Path) -> list[str]:
    """The environment stacks that have a stack file at ``root``: files naming ``landing-zone:environment``
    (the file's layer, as deploy/stacks.py reads it; org and cicd files name none). An unreadable file is
    left out: plan reports it on its own."""
    names = sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in root.glob("Pulumi.?*.yaml"))
    environments = []
    for name in names:
        try:
            values = stack_config.read_stack_file_config(name, root)
        except stack_config.ConfigError:
            continue
        if f"{stack_config.PROJECT}:environment" in values:
            environments.append(name)
    return environments


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


def check_production_accounts(
    settings: stack_config.EnvConfig, org_outputs: Mapping[str, Any], source: str
) -> None:
    """Raise ProductionAccountError for a production stack whose accounts are misplaced.

    The program calls it with the org outputs it read before declaring anything (components/org_references),
    so no provider, and no resource in either account, exists when an account is misplaced.
    """
    if not settings.is_production:
        return
    if not isinstance(org_outputs.get(ACCOUNT_OUS), Mapping):
        raise ProductionAccountError(
            source, f"{stack_config.PROJECT}:orgStack",
            f"stack '{settings.org_stack}' exports no '{ACCOUNT_OUS}', which production's account check "
            "needs; update it first (pulumi up -s org)",
        )
    problems = production_account_problems(settings, org_outputs, non_production_identity_accounts())
    if problems:
        key, problem = problems[0]
        raise ProductionAccountError(source, key, problem)
