"""Where the stacks' shared state lives (org stack, ``landing-zone:stateBackend``).

An S3 bucket for Pulumi state and a KMS key as the secrets provider, in one account of the Deployments
OU. ``python -m deploy bootstrap`` creates or adopts them with boto3 (deploy/bootstrap.py): the backend
cannot be managed by the stacks stored in it. The names the CI side shares are in ``cicd_names``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import Field

from components.settings.base import ACCOUNT_KEY, PROJECT, REGION, ConfigError, Model
from components.settings.cicd_names import DEFAULT_STATE_ACCOUNT, DEFAULT_STATE_KEY_ALIAS
from components.settings.landing_zone import AccountSettings, in_ou

KEY = f"{PROJECT}:stateBackend"
STATE_OU = "Deployments"  # the OU the seed created for CI/CD; the state account must be below it

# S3 general purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending
# with a letter or digit (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
BUCKET_NAME = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
# KMS alias names: alias/ then letters, digits, / _ -; the alias/aws/ prefix is reserved for AWS
# (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html, AliasName).
KEY_ALIAS = r"^alias/[a-zA-Z0-9/_-]{1,250}$"


class StateBackendSettings(Model):
    """The state bucket and secrets key. ``bucketName`` defaults to ``pulumi-state-<account id>-<region>``
    and ``region`` to the stack's; ``provisionerPermissionSets`` (default: every configured permission
    set) name the Identity Center roles that may use the state besides the CI roles."""

    account: str = Field(default=DEFAULT_STATE_ACCOUNT, pattern=ACCOUNT_KEY)
    bucket_name: str | None = Field(default=None, pattern=BUCKET_NAME)
    key_alias: str = Field(default=DEFAULT_STATE_KEY_ALIAS, pattern=KEY_ALIAS)
    region: str | None = Field(default=None, pattern=REGION)
    provisioner_permission_sets: tuple[str, ...] | None = None


def provisioner_permission_sets(
    settings: StateBackendSettings, configured_permission_sets: Iterable[str]
) -> tuple[str, ...]:
    """The permission sets whose Identity Center roles may use the state: the configured list, else all."""
    if settings.provisioner_permission_sets is not None:
        return settings.provisioner_permission_sets
    return tuple(configured_permission_sets)


def check_state_backend(
    settings: StateBackendSettings | None,
    accounts: Sequence[AccountSettings],
    permission_sets: Iterable[str],
    source: str,
) -> None:
    """Raises ConfigError when the state account is unknown or outside the Deployments OU (refused: the
    state of every stack would then sit in an account the workloads or their people run in)."""
    if settings is None:
        return
    if settings.key_alias.lower().startswith("alias/aws/"):
        raise ConfigError(source, f"{KEY}.keyAlias", "the alias/aws/ prefix is reserved for AWS managed keys")
    by_key = {account.key: account for account in accounts}
    account = by_key.get(settings.account)
    if account is None:
        known = ", ".join(sorted(by_key)) or "none"
        raise ConfigError(
            source, f"{KEY}.account", f"unknown account key '{settings.account}' (known: {known})"
        )
    if not in_ou(account.ou, STATE_OU):
        raise ConfigError(
            source,
            f"{KEY}.account",
            f"account '{account.key}' is in OU '{account.ou}'; the state backend must be in an account of "
            f"the {STATE_OU} OU (refused)",
        )
    names = set(permission_sets)
    for index, name in enumerate(settings.provisioner_permission_sets or ()):
        if name not in names:
            raise ConfigError(
                source, f"{KEY}.provisionerPermissionSets[{index}]", f"unknown permission set '{name}'"
            )
