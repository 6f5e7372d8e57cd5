"""Values the project derives instead of asking for them, and where each one comes from.

Two kinds:

- known from the stack file itself: e-mail addresses from ``emailPattern`` (landing_zone.py,
  identity_center.py) and, in an environment, the Cognito domain prefix from the IdP account id
  (environment.py);
- known only at deploy time, from the caller's AWS credentials: the management account id and the
  organization to adopt, and which of its existing OUs and member accounts the org stack adopts this run
  (:func:`adoption_this_run`). ``python -m deploy`` finds and verifies them (deploy/derive.py,
  deploy/adopt_structure.py) and hands them to the program for the run in the environment variables
  below. The stack file is left as it is:
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

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.settings.base import EMAIL, ORG_STACK, PROJECT, ConfigError, stack_file

MANAGEMENT_ACCOUNT_ENV = "LANDING_ZONE_MANAGEMENT_ACCOUNT_ID"
ORGANIZATION_ID_ENV = "LANDING_ZONE_ORGANIZATION_ID"
IDENTITY_CENTER_IMPORTS_ENV = "LANDING_ZONE_IDENTITY_CENTER_IMPORTS"
OFFLINE_MANAGEMENT_ACCOUNT_ID = "111111111111"
# JSON objects, for one run: OU path -> OU id and account key -> account id of what the org stack imports.
ADOPTED_OUS_ENV = "LANDING_ZONE_ADOPTED_OUS"
ADOPTED_ACCOUNTS_ENV = "LANDING_ZONE_ADOPTED_ACCOUNTS"
ENVIRONMENT = "environment"  # the source named when one of the variables above is wrong
# Id patterns: botocore organizations model, shapes OrganizationalUnitId and AccountId.
OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
MEMBER_ACCOUNT_ID = re.compile(r"^\d{12}$")

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


@dataclass(frozen=True)
class Adoption:
    """What the org stack imports this run: existing OUs (path -> id) and member accounts (key -> id)."""

    organizational_units: Mapping[str, str] = field(default_factory=dict)
    accounts: Mapping[str, str] = field(default_factory=dict)


def adoption_this_run(
    environ: Mapping[str, str], ou_paths: Iterable[str], account_import_ids: Mapping[str, str | None]
) -> Adoption:
    """The OUs and accounts ``python -m deploy`` found in AWS for this run, checked against the config.

    ``account_import_ids``: each configured account key -> its ``importId`` in the stack file (or None).
    Each variable must be a JSON object whose keys the config declares and whose values are ids of the
    kind; an account's id must equal a configured ``importId``. Anything else is one line naming the
    variable. Without the variables (offline, a plain ``pulumi up``) nothing is adopted.
    """
    paths = set(ou_paths)
    ous = _id_map(environ, ADOPTED_OUS_ENV, "OU path", paths, OU_ID)
    keys = set(account_import_ids)
    accounts = _id_map(environ, ADOPTED_ACCOUNTS_ENV, "account key", keys, MEMBER_ACCOUNT_ID)
    for key, account_id in accounts.items():
        configured = account_import_ids[key]
        if configured is not None and configured != account_id:
            raise ConfigError(
                ENVIRONMENT,
                ADOPTED_ACCOUNTS_ENV,
                f"adopts {account_id} as account '{key}', whose importId in {stack_file(ORG_STACK)} is "
                f"{configured}",
            )
    return Adoption(organizational_units=ous, accounts=accounts)


def _id_map(
    environ: Mapping[str, str], variable: str, kind: str, known: set[str], pattern: re.Pattern[str]
) -> dict[str, str]:
    text = environ.get(variable, "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(ENVIRONMENT, variable, f"is not JSON ({error.msg})") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(ENVIRONMENT, variable, f"must be a JSON object of {kind} -> id (strings)")
    unknown = sorted(set(value) - known)
    if unknown:
        raise ConfigError(
            ENVIRONMENT, variable, f"names {kind} '{unknown[0]}', which {stack_file(ORG_STACK)} does not list"
        )
    for key, identifier in value.items():
        if not pattern.match(identifier):
            raise ConfigError(ENVIRONMENT, variable, f"gives {kind} '{key}' the invalid id '{identifier}'")
    return dict(value)
