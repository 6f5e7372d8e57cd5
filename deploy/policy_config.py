"""The CrossGuard pack's config, derived from the stack files: what ``plan`` and ``--policy-pack`` use.

The pack's defaults cannot know the user's choices, so the driver writes them into a Pulumi policy
config file (``{"<policy>": {"enforcementLevel": ..., "<setting>": ...}}``; pulumi/pulumi
``pkg/resource/plugin/analyzer_config.go`` ``parsePolicyPackConfig``: a string entry is an enforcement
level, an object entry may carry one) and passes the same mapping to both runs of the pack: ``plan``'s
offline run (``policies.guardrails.check_recording``) and ``pulumi preview/up --policy-pack policies
--policy-pack-config <file>``. Derived today:

* ``allowed-regions.allowedRegions``: every stack file's ``landing-zone:region`` (the models' default,
  us-east-1, when it sets none) and the org stack's ``landing-zone:identityCenter.region``. The global
  APIs the program calls (Organizations, Budgets, IAM) are not regionalized: the AWS SDKs send them to
  their ``aws-global`` endpoint whatever the provider's region (botocore ``data/endpoints.json``:
  ``isRegionalized: false``, ``partitionEndpoint: aws-global``), so no stack needs a us-east-1
  provider for them and us-east-1 is allowed only when a stack file chooses it.
* ``iam-privilege-escalation.acceptedRisks``: permission set name -> the risks the org stack file
  accepts for it (``identityCenter.permissionSets[].acceptedRisks``; the seed's set when it declares
  none; components/settings/iam_risks.py).
* ``production-invariants.optOuts`` and ``.nonProductionIdentityAccounts``: each production stack's
  ``productionOptOuts`` and the identity accounts of the non-production stacks.
* ``idle-cost-estimate.organizationAccounts``: the org stack file's member accounts plus the management
  account, the accounts GuardDuty, Security Hub and AWS Config cover (policies/cost_security.py).

No enforcement level is written, so each policy keeps its own unless the user's file sets one (a level
written here would override the user's ``"all"``). A file given with ``--policy-config`` is merged on
top, policy by policy and setting by setting: its values win. ``python -m deploy.policy_config``
prints the result, for plain ``pulumi ... --policy-pack-config``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from components import config as stack_config
from deploy.runner import EXIT_USAGE, DeployError
from policies import production

GENERATED_FILE = ".pulumi-policy-config.json"  # in the project root, git-ignored; rewritten each run
ALLOWED_REGIONS = "allowed-regions"
IAM_ESCALATION = "iam-privilege-escalation"
PRODUCTION_INVARIANTS = "production-invariants"
IDLE_COST = "idle-cost-estimate"


class PolicyConfigError(DeployError):
    """A policy config file given by the user is unreadable or invalid; ``str()`` is one line."""

    exit_code = EXIT_USAGE


def stack_names(root: Path) -> list[str]:
    """Every stack that has a file at the root: ``Pulumi.<stack>.yaml``."""
    return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in root.glob("Pulumi.*.yaml"))


def stack_regions(root: Path) -> dict[str, list[str]]:
    """Region -> the stack files (and keys) that choose it, in name order.

    A file that cannot be read, or a value that is not a string, is left out: that stack's own config
    check reports it, naming the file and key.
    """
    default = str(stack_config.EnvConfig.model_fields["region"].default)
    found: dict[str, list[str]] = {}
    for stack in stack_names(root):
        try:
            values = stack_config.project_values(stack_config.read_stack_file_config(stack, root))
        except stack_config.ConfigError:
            continue
        source = stack_config.stack_file(stack)
        region = values.get("region", default)
        if isinstance(region, str):
            found.setdefault(region, []).append(source)
        identity_center = values.get("identityCenter")
        if isinstance(identity_center, Mapping) and isinstance(identity_center.get("region"), str):
            found.setdefault(identity_center["region"], []).append(f"{source} identityCenter.region")
        if stack == stack_config.ORG_STACK:
            for region in break_glass_regions(values.get("breakGlass")):
                if source not in found.get(region, []):  # the stack file's own Region says it already
                    found.setdefault(region, []).append(f"{source} breakGlass.alerts")
    return dict(sorted(found.items()))


def break_glass_regions(raw: Any) -> list[str]:
    """Where the org stack's break-glass alerting declares rules (components/settings/break_glass.py):
    us-east-1 and the forwarding Regions, while alerts are on. Odd shapes are left to the config check."""
    from components.settings.break_glass import HOME_REGION

    alerts = raw.get("alerts") if isinstance(raw, Mapping) else None
    alerts = alerts if isinstance(alerts, Mapping) else {}
    if alerts.get("enabled", True) is False:
        return []
    forward = alerts.get("forwardRegions", [])
    return [HOME_REGION, *(r for r in (forward if isinstance(forward, list) else []) if isinstance(r, str))]


def production_settings(root: Path) -> dict[str, list[str]]:
    """``production-invariants``' settings from the stack files: each production stack's opt-outs and
    the non-production stacks' identity accounts (policies/production_rules.py); empty ones left out."""
    from components.production_accounts import environment_stacks, non_production_identity_accounts

    opt_outs = []
    for stack in environment_stacks(root):
        if not production.is_production_stack(stack):
            continue
        try:
            settings = stack_config.load_stack_file(stack, root)
        except stack_config.ConfigError:
            continue  # that stack's own config check reports it
        if isinstance(settings, stack_config.EnvConfig):
            opt_outs += [production.opt_out_setting(stack, o.resource) for o in settings.production_opt_outs]
    identity = sorted(non_production_identity_accounts(root))
    values = {"optOuts": opt_outs, "nonProductionIdentityAccounts": identity}
    return {key: value for key, value in values.items() if value}


def derive(root: Path, regions: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """The policy config that follows the stack files (``regions``: :func:`stack_regions`, if known)."""
    derived: dict[str, Any] = {
        ALLOWED_REGIONS: {"allowedRegions": list(stack_regions(root) if regions is None else regions)},
        IAM_ESCALATION: {"acceptedRisks": accepted_risks(root)},
    }
    settings = production_settings(root)
    if settings:
        derived[PRODUCTION_INVARIANTS] = settings
    accounts = organization_accounts(root)
    if accounts:
        derived[IDLE_COST] = {"organizationAccounts": accounts}
    return derived


def organization_accounts(root: Path, override: Mapping[str, Any] | None = None) -> int | None:
    """The accounts of the organization: the org stack file's member accounts and the management account
    (None when the file cannot be loaded; its own check reports it). A user's policy config wins."""
    entry = (override or {}).get(IDLE_COST)
    if isinstance(entry, Mapping) and isinstance(entry.get("organizationAccounts"), int):
        return int(entry["organizationAccounts"])
    try:
        settings = stack_config.load_stack_file(stack_config.ORG_STACK, root)
    except stack_config.ConfigError:
        return None
    return len(settings.accounts) + 1 if isinstance(settings, stack_config.OrgConfig) else None


def accepted_risks(root: Path) -> dict[str, list[str]]:
    """The risks the org stack file accepts, per permission set (none when the file cannot be read)."""
    from components.settings.iam_risks import accepted_by_permission_set

    try:
        raw = stack_config.read_stack_file_config(stack_config.ORG_STACK, root)
        values = stack_config.project_values(raw)
    except stack_config.ConfigError:
        return {}
    return {**accepted_by_permission_set(values.get("identityCenter")), **deploy_role_risks(root),
            **break_glass_risks()}


def break_glass_risks() -> dict[str, list[str]]:
    """The org stack's break-glass group is admin-equivalent by design, and only usable with MFA
    (break-glass-mfa-required): accepted by group name, nothing else."""
    from components.settings.break_glass import GROUP_NAME
    from iam_documents.iam_analysis import ADMIN_EQUIVALENT
    from policies.iam_principals import GROUP_ACCEPT_PREFIX

    return {GROUP_ACCEPT_PREFIX + GROUP_NAME: [ADMIN_EQUIVALENT]}


def deploy_role_risks(root: Path) -> dict[str, list[str]]:
    """The cicd stacks' deploy roles are admin-equivalent by design, capped by their boundary
    (components/cicd_stack.py says why): accepted by role name, nothing else."""
    from components.settings.cicd import CicdConfig
    from components.settings.cicd_names import deploy_role_name
    from iam_documents.iam_analysis import ADMIN_EQUIVALENT
    from policies.iam_principals import ROLE_ACCEPT_PREFIX

    risks: dict[str, list[str]] = {}
    for stack in stack_config_names(root):
        try:
            settings = stack_config.load_stack_file(stack, root)
        except stack_config.ConfigError:
            continue  # that stack's own config check reports it
        if isinstance(settings, CicdConfig):
            for environment in settings.environments:
                risks[ROLE_ACCEPT_PREFIX + deploy_role_name(environment.name)] = [ADMIN_EQUIVALENT]
    return risks


def stack_config_names(root: Path) -> list[str]:
    return sorted(path.name[len("Pulumi."):-len(".yaml")] for path in root.glob("Pulumi.?*.yaml"))


def read_override(path: Path) -> dict[str, Any]:
    """A user's policy config file (same shape), parsed; PolicyConfigError naming the file otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyConfigError(f"--policy-config {path}: cannot be read ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise PolicyConfigError(f"--policy-config {path}: invalid JSON: {error}") from None
    if not isinstance(data, dict):
        raise PolicyConfigError(f"--policy-config {path}: must be a JSON object of policy names")
    return data


def merge(derived: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """``override`` on top of ``derived``, policy by policy, setting by setting."""
    merged: dict[str, Any] = {name: dict(entry) for name, entry in derived.items()}
    for name, entry in (override or {}).items():
        if isinstance(entry, str) and name in merged:  # a bare enforcement level over derived settings
            entry = {"enforcementLevel": entry}
        if isinstance(entry, Mapping):
            merged[name] = {**merged.get(name, {}), **entry}
        else:  # a bare level ("all": "advisory"), or not valid: left for the pack's validation to name
            merged[name] = entry
    return merged


def build(
    root: Path,
    override: Mapping[str, Any] | None = None,
    *,
    source: str = "policy config",
    regions: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The derived config with ``override`` merged in, validated against the pack's policies."""
    from policies import guardrails  # the pack's rules: only when a config is built

    merged = merge(derive(root, regions), override)
    try:
        guardrails.resolve_config(merged)
    except guardrails.GuardrailConfigError as error:
        reason = str(error).removeprefix("policy config: ")
        raise PolicyConfigError(f"{source}: {reason}") from None
    return merged


def write(root: Path, config: Mapping[str, Any], target: Path | None = None) -> Path:
    """Write ``config`` as a policy config file (default: the git-ignored file at the root)."""
    path = target or root / GENERATED_FILE
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    staged.replace(path)  # never a half-written file for a concurrent reader
    return path


def describe(derived: Mapping[str, Sequence[str]], config: Mapping[str, Any]) -> str:
    """``allowed regions: eu-west-1 (Pulumi.org.yaml, Pulumi.pre.yaml)``: what ``plan`` shows.

    ``derived``: :func:`stack_regions`; a region it lacks came from the user's ``--policy-config``.
    """
    entry = config.get(ALLOWED_REGIONS)
    regions = entry.get("allowedRegions", []) if isinstance(entry, Mapping) else []
    shown = [f"{region} ({', '.join(derived.get(region) or ['--policy-config'])})" for region in regions]
    return "allowed regions: " + (", ".join(shown) or "none")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.policy_config",
        description="Print the policy config the driver derives from the stack files (for "
        "`pulumi preview --policy-pack policies --policy-pack-config FILE`).",
    )
    parser.add_argument("--policy-config", type=Path, metavar="FILE", help="your config, merged on top")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write it to FILE instead of printing it")
    args = parser.parse_args(argv)
    try:
        override = read_override(args.policy_config) if args.policy_config else None
        config = build(stack_config.PROJECT_ROOT, override, source=f"--policy-config {args.policy_config}")
    except (DeployError, stack_config.ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return getattr(error, "exit_code", EXIT_USAGE)
    if args.out:
        write(stack_config.PROJECT_ROOT, config, args.out)
    else:
        print(json.dumps(config, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
