"""Values the project derives instead of asking for them, and where each one comes from.

Two kinds:

- known from the stack file itself: e-mail addresses from ``emailPattern`` (landing_zone.py,
  identity_center.py) and, in an environment, the Cognito domain prefix from the IdP account id
  (environment.py);
- known only at deploy time, from the caller's AWS credentials: the management account id and the
  organization to adopt. ``python -m deploy`` finds and verifies them (deploy/derive.py) and hands them
  to the program for the run in the environment variables below. The stack file is left as it is:
  a value set there always wins, and a plain ``pulumi up -s org`` without it stops with one line
  (see :func:`with_deploy_time_values`) instead of guessing;
- known only at deploy time, from the management account's Identity Center: the hand-made users, groups,
  memberships, permission sets, policy attachments and assignments the org stack adopts (import ids, as
  JSON in :data:`IDENTITY_CENTER_IMPORTS_ENV`; found by deploy/derive_identity.py, checked against the
  config by components/settings/identity_imports.py).

Offline (``plan``, tests) the program runs with :data:`OFFLINE_MANAGEMENT_ACCOUNT_ID`, the id the mocks
give the caller and the organization's management account (deploy/simulate.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.settings.base import EMAIL, ORG_STACK, PROJECT, ConfigError, stack_file

MANAGEMENT_ACCOUNT_ENV = "LANDING_ZONE_MANAGEMENT_ACCOUNT_ID"
ORGANIZATION_ID_ENV = "LANDING_ZONE_ORGANIZATION_ID"
IDENTITY_CENTER_IMPORTS_ENV = "LANDING_ZONE_IDENTITY_CENTER_IMPORTS"
OFFLINE_MANAGEMENT_ACCOUNT_ID = "111111111111"

# Sources, as ``plan`` shows them.
CALLER_IDENTITY = (
    "the caller identity (STS GetCallerIdentity), checked to be the organization's management account"
)
EXISTING_ORGANIZATION = (
    "the caller's organization (Organizations DescribeOrganization), adopted when there is one"
)
EMAIL_PATTERN = "emailPattern"
IDP_ACCOUNT_ID = "the IdP account id"

KEY_PLACEHOLDER = "{key}"
# AWS CreateAccount accepts 6 to 64 characters (botocore organizations model, shape Email).
ACCOUNT_EMAIL_LENGTH = (6, 64)


@dataclass(frozen=True)
class DerivedValue:
    """A config value the project worked out itself: the key it stands for, the value and its source."""

    key: str  # e.g. "landing-zone:accounts[0].email"
    value: str | None  # None: known only at deploy time
    source: str


def email_pattern(value: Any, source: str) -> str | None:
    """The ``emailPattern`` of the org stack, checked: one ``{key}`` in the local part, a valid address."""
    if value is None:
        return None
    key = f"{PROJECT}:emailPattern"
    if not isinstance(value, str):
        raise ConfigError(source, key, "must be a string such as aws+{key}@example.org")
    local, _, _domain = value.partition("@")
    if local.count(KEY_PLACEHOLDER) != 1 or value.count(KEY_PLACEHOLDER) != 1:
        raise ConfigError(
            source, key, f"'{value}' must hold {KEY_PLACEHOLDER} once, before the @ (aws+{{key}}@example.org)"
        )
    if re.search(r"[{}]", value.replace(KEY_PLACEHOLDER, "")):
        raise ConfigError(source, key, f"'{value}' has braces other than {KEY_PLACEHOLDER}")
    if not EMAIL.match(value.replace(KEY_PLACEHOLDER, "key")):
        raise ConfigError(source, key, f"'{value}' does not give a valid e-mail address")
    return value


def email_from_pattern(
    pattern: str, key: str, *, source: str, config_key: str, length: tuple[int, int] | None = None
) -> str:
    """``pattern`` with ``{key}`` replaced, checked; a bad result names the key it stands for."""
    address = pattern.replace(KEY_PLACEHOLDER, key)
    if not EMAIL.match(address):
        raise ConfigError(
            source, config_key, f"'{address}' (from emailPattern) is not a valid e-mail address"
        )
    if length is not None and not length[0] <= len(address) <= length[1]:
        raise ConfigError(
            source,
            config_key,
            f"'{address}' (from emailPattern) has {len(address)} characters; AWS accepts {length[0]} to "
            f"{length[1]} (set it explicitly or shorten the pattern)",
        )
    return address


def missing_email(source: str, config_key: str) -> ConfigError:
    return ConfigError(source, config_key, f"is required (or set {PROJECT}:emailPattern to derive it)")


def with_deploy_time_values(stack: str, raw: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """The org stack's raw config completed with what ``python -m deploy`` found for this run.

    Used under the real engine only (``__main__.py``). A value in the stack file wins. Without a
    management account id from either, raises ConfigError: the provider is pinned to that id, so the
    program never guesses it.
    """
    values = dict(raw)
    if stack != ORG_STACK:
        return values
    if "managementAccountId" not in values:
        derived = environ.get(MANAGEMENT_ACCOUNT_ENV)
        if not derived:
            raise ConfigError(
                stack_file(stack),
                f"{PROJECT}:managementAccountId",
                "is not set: run `python -m deploy up` (it reads the id from your credentials and checks it"
                " is the organization's management account), or set it in the stack file or in"
                f" {MANAGEMENT_ACCOUNT_ENV}",
            )
        values["managementAccountId"] = derived
    organization_id = environ.get(ORGANIZATION_ID_ENV)
    organization = values.get("organization")
    if organization_id and (organization is None or isinstance(organization, Mapping)):
        organization = dict(organization or {})
        organization.setdefault("importId", organization_id)
        values["organization"] = organization
    return values


def deploy_time_values(file_values: Mapping[str, Any]) -> list[DerivedValue]:
    """What the driver works out at deploy time for the org stack, given its stack-file values."""
    derived = []
    if "managementAccountId" not in file_values:
        derived.append(DerivedValue(f"{PROJECT}:managementAccountId", None, CALLER_IDENTITY))
    organization = file_values.get("organization")
    if not (isinstance(organization, Mapping) and organization.get("importId")):
        derived.append(DerivedValue(f"{PROJECT}:organization.importId", None, EXISTING_ORGANIZATION))
    return derived
