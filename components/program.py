"""The stacks' programs: compose the components for a validated config and return the stack outputs.

``__main__.py`` calls :func:`build` under the real engine; ``python -m deploy plan`` and the tests call
it under mocks (see ``deploy/simulate.py``). Config is validated before this module declares anything.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import config as stack_config
from components.config import EnvConfig, OrgConfig
from components.landing_zone import LandingZone, LandingZoneArgs
from components.providers import account_provider

MANAGED_BY = "pulumi/landing-zone"


def org_program(config: OrgConfig) -> dict[str, Any]:
    """Stack ``org``: the landing zone (and Identity Center) in the management account."""
    scps = stack_config.load_scps(config, stack_config.stack_file(stack_config.ORG_STACK))
    management = account_provider(
        "management",
        account_id=config.management_account_id,
        region=config.region,
        default_tags={"project": stack_config.PROJECT, "managed-by": MANAGED_BY},
    )
    landing_zone = LandingZone(
        "landing-zone",
        LandingZoneArgs(config=config, service_control_policies=scps),
        opts=pulumi.ResourceOptions(providers={"aws": management}),
    )
    return {
        "management_account_id": config.management_account_id,
        "accounts": {key: account.id for key, account in landing_zone.accounts.items()},
        "account_ous": {account.key: account.ou for account in config.accounts},
        "organizational_units": {path: ou.id for path, ou in landing_zone.organizational_units.items()},
        "access_role_name": config.access_role_name,
    }


def environment_program(config: EnvConfig) -> dict[str, Any]:
    """Stacks ``pre`` and ``prod``: identity provider and Tasks Service in the environment's accounts."""
    raise NotImplementedError("environment stacks are not built yet")


def build(config: OrgConfig | EnvConfig) -> dict[str, Any]:
    if isinstance(config, OrgConfig):
        return org_program(config)
    return environment_program(config)
