"""The stacks' programs: compose the components for a validated config and return the stack outputs.

``__main__.py`` calls :func:`build` under the real engine; ``python -m deploy plan`` and the tests call
it under mocks (see ``deploy/simulate.py``). Config is validated before this module declares anything.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import config as stack_config
from components.config import EnvConfig, OrgConfig
from components.identity_center import IdentityCenter, IdentityCenterArgs, lookup_instance
from components.landing_zone import LandingZone, LandingZoneArgs
from components.providers import account_provider

MANAGED_BY = "pulumi/landing-zone"


def org_program(config: OrgConfig) -> dict[str, Any]:
    """Stack ``org``: the landing zone (and Identity Center) in the management account."""
    scps = stack_config.load_scps(config, stack_config.stack_file(stack_config.ORG_STACK))
    inline_policies = stack_config.load_permission_set_policies(config)
    management = account_provider(
        "management",
        account_id=config.management_account_id,
        region=config.region,
        default_tags={"project": stack_config.PROJECT, "managed-by": MANAGED_BY},
    )
    # Before anything else is declared: without an enabled Identity Center the program stops here.
    sso_instance = lookup_instance(management, config.identity_center.region or config.region)
    landing_zone = LandingZone(
        "landing-zone",
        LandingZoneArgs(config=config, service_control_policies=scps),
        opts=pulumi.ResourceOptions(providers={"aws": management}),
    )
    account_ids = {key: account.id for key, account in landing_zone.accounts.items()}
    identity_center = IdentityCenter(
        "identity-center",
        IdentityCenterArgs(
            config=config, instance=sso_instance, account_ids=account_ids, inline_policies=inline_policies
        ),
        opts=pulumi.ResourceOptions(providers={"aws": management}),
    )
    return {
        "management_account_id": config.management_account_id,
        "accounts": account_ids,
        "account_ous": {account.key: account.ou for account in config.accounts},
        "organizational_units": {path: ou.id for path, ou in landing_zone.organizational_units.items()},
        "access_role_name": config.access_role_name,
        **_identity_center_outputs(identity_center, account_ids),
    }


def _identity_center_outputs(
    identity_center: IdentityCenter, account_ids: dict[str, pulumi.Output[str]]
) -> dict[str, Any]:
    """What the environments and ``python -m deploy profiles`` read about Identity Center."""
    assigned = dict.fromkeys((a.account_key, a.permission_set) for a in identity_center.resolved_assignments)
    return {
        "identity_center": {
            "instance_arn": identity_center.instance.arn,
            "identity_store_id": identity_center.instance.identity_store_id,
            "start_url": identity_center.start_url,
            "region": identity_center.region,
        },
        "permission_sets": {name: ps.arn for name, ps in identity_center.permission_sets.items()},
        "groups": {name: group.group_id for name, group in identity_center.groups.items()},
        # One entry per (account, permission set) someone is assigned: the AWS CLI profiles to offer.
        "sso_assignments": [
            {"account_key": key, "account_id": account_ids[key], "permission_set": permission_set}
            for key, permission_set in assigned
        ],
    }


def environment_program(config: EnvConfig) -> dict[str, Any]:
    """Stacks ``pre`` and ``prod``: identity provider and Tasks Service in the environment's accounts."""
    raise NotImplementedError("environment stacks are not built yet")


def build(config: OrgConfig | EnvConfig) -> dict[str, Any]:
    if isinstance(config, OrgConfig):
        return org_program(config)
    return environment_program(config)
