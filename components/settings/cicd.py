"""The cicd stack's settings (``landing-zone:ci``): the CI's OIDC issuer, and per environment the
Deployments account its CI role lives in, the token subjects it accepts and the accounts it deploys to.

Checked before anything is declared; each problem is one line naming the stack file and key. The account
keys are checked against the org stack's outputs by the program (components/cicd_stack.py), which reads
them before its first resource.
"""

from __future__ import annotations

from pydantic import Field

from components.settings.base import (
    ACCOUNT_KEY,
    PROJECT,
    REGION,
    ConfigError,
    Model,
    OrgReaderStackConfig,
)
from components.settings.cicd_names import DEFAULT_STATE_ACCOUNT, DEFAULT_STATE_KEY_ALIAS
from iam_documents.cicd import has_wildcard
from policies.production import is_production_stack

KEY = f"{PROJECT}:ci"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
ENVIRONMENT_NAME = r"^[a-z][a-z0-9-]{0,15}$"
BUCKET_NAME = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
KEY_ALIAS = r"^alias/[a-zA-Z0-9/_-]{1,250}$"


class CiProviderSettings(Model):
    """The CI's OIDC identity provider: its issuer URL and the audience its tokens carry."""

    issuer: str = GITHUB_ISSUER
    audience: str = STS_AUDIENCE
    # Optional: AWS verifies GitHub's, GitLab's and other well-known issuers against its own trusted CAs
    # and ignores thumbprints (IAM User Guide, "Obtain the thumbprint for an OpenID Connect identity
    # provider": id_roles_providers_create_oidc_verify-thumbprint.html; pulumi_aws OpenIdConnectProvider).
    thumbprints: tuple[str, ...] = ()


class CiEnvironmentSettings(Model):
    """One environment deployed by CI: its CI role's account and token subjects, and its target accounts."""

    name: str = Field(pattern=ENVIRONMENT_NAME)
    ci_account: str = Field(pattern=ACCOUNT_KEY)
    subjects: tuple[str, ...]
    targets: tuple[str, ...]


class StateBackendRef(Model):
    """The state backend the CI roles use (created by ``python -m deploy bootstrap``; keep it equal to the
    org stack's ``stateBackend``: plan cross-checks them)."""

    account: str = Field(default=DEFAULT_STATE_ACCOUNT, pattern=ACCOUNT_KEY)
    bucket_name: str | None = Field(default=None, pattern=BUCKET_NAME)
    key_alias: str = Field(default=DEFAULT_STATE_KEY_ALIAS, pattern=KEY_ALIAS)
    region: str | None = Field(default=None, pattern=REGION)


class CiSettings(Model):
    provider: CiProviderSettings = CiProviderSettings()
    environments: tuple[CiEnvironmentSettings, ...]
    state_backend: StateBackendRef = StateBackendRef()


class CicdConfig(OrgReaderStackConfig):
    """Configuration of the cicd stack: run by a person with management credentials, after org."""

    ci: CiSettings

    @property
    def environments(self) -> tuple[CiEnvironmentSettings, ...]:
        return self.ci.environments


def check_cicd(config: CicdConfig, source: str) -> None:
    """The checks that span keys: issuer and audience, subjects, and who deploys where."""
    provider = config.ci.provider
    if not provider.issuer.startswith("https://") or has_wildcard(provider.issuer) or " " in provider.issuer:
        raise ConfigError(source, f"{KEY}.provider.issuer", f"'{provider.issuer}' is not an https:// URL")
    if not provider.audience.strip():
        raise ConfigError(source, f"{KEY}.provider.audience", "is required: the aud the CI's tokens carry")
    if has_wildcard(provider.audience):
        raise ConfigError(source, f"{KEY}.provider.audience", "must be exact (no wildcard)")
    if not config.environments:
        raise ConfigError(source, f"{KEY}.environments", "lists no environment")
    names: set[str] = set()
    target_owner: dict[str, str] = {}
    ci_accounts: dict[str, list[str]] = {}
    for index, environment in enumerate(config.environments):
        where = f"{KEY}.environments[{index}]"
        if environment.name in names:
            raise ConfigError(source, f"{where}.name", f"duplicate environment '{environment.name}'")
        names.add(environment.name)
        _check_subjects(environment, where, source)
        if not environment.targets:
            raise ConfigError(source, f"{where}.targets", "lists no account to deploy to")
        for target_index, target in enumerate(environment.targets):
            at = f"{where}.targets[{target_index}]"
            if target in target_owner:
                raise ConfigError(source, at, f"account '{target}' is already a target of environment '"
                                              f"{target_owner[target]}'; each account serves one environment")
            target_owner[target] = environment.name
        ci_accounts.setdefault(environment.ci_account, []).append(environment.name)
    for index, environment in enumerate(config.environments):
        where = f"{KEY}.environments[{index}]"
        if environment.ci_account in target_owner:
            raise ConfigError(source, f"{where}.ciAccount", f"'{environment.ci_account}' is a target account "
                                                           "too; CI roles live apart from what they deploy")
        shared = [name for name in ci_accounts[environment.ci_account] if name != environment.name]
        if is_production_stack(environment.name) and shared:
            raise ConfigError(source, f"{where}.ciAccount",
                              f"production's CI account '{environment.ci_account}' also serves "
                              f"{', '.join(shared)}; give it its own")


def _check_subjects(environment: CiEnvironmentSettings, where: str, source: str) -> None:
    """``<claim>:<owner>/<repository>:<context>``: the repository exact, production only from an
    environment (GitHub ``repo:o/r:environment:<name>``; a protected environment needs its reviewers)."""
    if not environment.subjects:
        raise ConfigError(source, f"{where}.subjects", "lists no subject: the trust would accept any token")
    for index, subject in enumerate(environment.subjects):
        at = f"{where}.subjects[{index}]"
        parts = subject.split(":")
        if len(parts) < 3 or not parts[0] or "/" not in parts[1] or not all(parts[1].split("/")):
            raise ConfigError(source, at, f"'{subject}' is not <claim>:<owner>/<repository>:<context> "
                                          "(e.g. repo:my-org/landing-zone:ref:refs/heads/main)")
        if has_wildcard(parts[0]) or has_wildcard(parts[1]):
            raise ConfigError(source, at, f"'{subject}' has a wildcard in the repository; any repository "
                                          "matching it could deploy")
        if not ":".join(parts[2:]).strip("*?"):
            raise ConfigError(source, at, f"'{subject}' names no branch, environment or event")
        if is_production_stack(environment.name) and (parts[2] != "environment" or has_wildcard(subject)):
            raise ConfigError(source, at, f"'{subject}' is not an environment subject; production deploys "
                                          "only from its protected environment (…:environment:<name>, exact)")
