"""A boto3 session into an environment's accounts, reached the way its stack's providers reach them.

``logs`` and ``status`` (deploy/logs.py, deploy/status.py) read a deployed environment. Each account of
the environment (``identityAccount``, ``workloadAccount`` of its stack file) is reached as
components/program.py's providers reach it: the named ``profile`` when one is set, otherwise the
caller's credentials (management account); then, unless the profile is used alone, the role the org
stack exports (``access_role_name``, OrganizationAccountAccessRole by default) or ``roleName`` is
assumed in the account. The account id and role come from the org stack's outputs, checked by the same
code the program runs (components/org_references.py).

Every failure to get credentials becomes one sentence (:func:`explained`): an expired or missing SSO
token names the ``aws sso login --profile X`` to run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from components import config as stack_config
from components import org_references
from components.settings.environment import AccountAccess
from deploy import stacks
from deploy.runner import DeployError, SetupError, StackRunner
from iam_documents import access_role

SessionFactory = Callable[..., Any]  # boto3.Session(profile_name=..., region_name=..., aws_...=...)

# SSO errors of botocore (botocore/exceptions.py: UnauthorizedSSOTokenError "The SSO session associated
# with this profile has expired or is otherwise invalid", SSOTokenLoadError, TokenRetrievalError when a
# refresh through an sso-session fails).
_SSO_ERRORS = ("UnauthorizedSSOTokenError", "SSOTokenLoadError", "TokenRetrievalError", "SSOError")
_NO_CREDENTIALS = ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError")
# ClientError codes of expired or unknown credentials (STS and the service APIs).
_EXPIRED_CODES = {
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"
}


def session_factory(given: SessionFactory | None = None) -> SessionFactory:
    """``given`` (tests inject one), else ``boto3.Session``: boto3 is imported only when AWS is reached."""
    if given is not None:
        return given
    import boto3

    return boto3.Session


@dataclass(frozen=True)
class AccountSession:
    """One account of the environment and a session into it."""

    config_key: str  # identityAccount / workloadAccount
    account_key: str
    account_id: str
    profile: str | None  # the named profile the credentials start from (None: the caller's)
    role_arn: str | None  # the role assumed in the account (None: the profile's credentials as they are)
    session: Any  # boto3.Session

    def client(self, service: str) -> Any:
        return self.session.client(service)

    @property
    def login_profile(self) -> str:
        """The profile ``aws sso login`` must refresh."""
        return self.profile or os.environ.get("AWS_PROFILE") or "default"


class EnvironmentAccess:
    """Both accounts of the environment; each session is opened (its role assumed) on first use."""

    def __init__(
        self,
        stack: str,
        settings: stack_config.EnvConfig,
        references: org_references.OrgReferences,
        session_factory: SessionFactory,
    ) -> None:
        self.stack = stack
        self.region = settings.region
        self._settings = settings
        self._references = references
        self._factory = session_factory

    @cached_property
    def identity(self) -> AccountSession:
        return _account_session(self.region, self._settings.identity_account, self._references.identity,
                                self._factory, self.stack)

    @cached_property
    def workload(self) -> AccountSession:
        return _account_session(self.region, self._settings.workload_account, self._references.workload,
                                self._factory, self.stack)


def load_environment(stack: str, root: Path) -> stack_config.EnvConfig:
    settings = stack_config.load_stack_file(stack, root)
    if not isinstance(settings, stack_config.EnvConfig):
        known = ", ".join(stacks.discover(root).environments())
        raise DeployError(f"stack {stack} is not an environment (one of {known})")
    return settings


def deployed_outputs(runner: StackRunner, stack: str, required: Sequence[str]) -> dict[str, Any]:
    """The stack's outputs; one clear line when it was never deployed or lacks one of ``required``."""
    outputs = dict(runner.outputs(stack))
    if not outputs:
        raise DeployError(
            f"stack {stack} has no outputs: it has not been deployed yet "
            f"(python -m deploy up --stack {stack})"
        )
    missing = [key for key in required if not outputs.get(key)]
    if missing:
        raise DeployError(
            f"stack {stack} does not export {', '.join(missing)}: it was deployed by an older version of "
            f"this project; run python -m deploy up --stack {stack} to add these outputs"
        )
    return outputs


def open_environment(
    stack: str,
    settings: stack_config.EnvConfig,
    org_outputs: Mapping[str, Any],
    session_factory: SessionFactory,
) -> EnvironmentAccess:
    """Sessions into both accounts of the environment (role assumption happens here)."""
    source = stack_config.stack_file(stack)
    try:
        references = org_references.resolve_config(settings, org_outputs, source)
    except stack_config.ConfigError as error:
        raise DeployError(str(error)) from None
    return EnvironmentAccess(stack, settings, references, session_factory)


def _account_session(
    region: str,
    access: AccountAccess,
    account: org_references.OrgAccount,
    session_factory: SessionFactory,
    stack: str,
) -> AccountSession:
    role_arn = access_role.role_arn(account.account_id, account.role_name) if account.role_name else None
    base = AccountSession(account.config_key, account.key, account.account_id, access.profile, role_arn, None)
    with explained(base, f"open a session for {account.config_key} {account.key}"):
        session = session_factory(profile_name=access.profile, region_name=region)
        if role_arn is not None:
            # The same session name the stack's provider uses (components/program.py).
            assumed = session.client("sts").assume_role(
                RoleArn=role_arn, RoleSessionName=f"{stack_config.PROJECT}-{stack}-ops"
            )["Credentials"]
            session = session_factory(
                aws_access_key_id=assumed["AccessKeyId"],
                aws_secret_access_key=assumed["SecretAccessKey"],
                aws_session_token=assumed["SessionToken"],
                region_name=region,
            )
    return AccountSession(
        account.config_key, account.key, account.account_id, access.profile, role_arn, session
    )


@contextmanager
def explained(account: AccountSession, doing: str) -> Iterator[None]:
    """Turn botocore's credential and API errors into one sentence (DeployError / SetupError)."""
    try:
        yield
    except Exception as error:  # botocore is imported lazily; its classes are matched by name
        raise explain(error, account, doing) from None


def explain(error: Exception, account: AccountSession, doing: str) -> Exception:
    if isinstance(error, DeployError):
        return error
    name = type(error).__name__
    where = f"{account.config_key} {account.account_key} ({account.account_id})"
    login = f"run `aws sso login --profile {account.login_profile}`"
    if name in _SSO_ERRORS:
        return SetupError(f"cannot {doing}: the SSO session of profile {account.login_profile} has expired "
                          f"or was never started; {login}")
    if name == "ProfileNotFound":
        return SetupError(
            f"cannot {doing}: AWS profile '{account.profile}' ({account.config_key}.profile) is not in the "
            "AWS CLI config; add it with `python -m deploy profiles --write`"
        )
    if name in _NO_CREDENTIALS:
        return SetupError(
            f"cannot {doing}: no AWS credentials; set {account.config_key}.profile in the stack file or "
            "use management account credentials (AWS_PROFILE) that may assume the access role"
        )
    response = getattr(error, "response", None)
    if isinstance(response, Mapping):
        code = str(response.get("Error", {}).get("Code", ""))
        message = str(response.get("Error", {}).get("Message", "")).strip()
        if code in _EXPIRED_CODES:
            return SetupError(f"cannot {doing}: the AWS credentials are expired or invalid ({code}); {login}")
        if code in ("AccessDenied", "AccessDeniedException") and account.role_arn:
            return DeployError(f"cannot {doing} in {where}: {code} ({message}); the credentials must be "
                               f"allowed to assume {account.role_arn}")
        return DeployError(f"cannot {doing} in {where}: {code}: {message}")
    return DeployError(f"cannot {doing} in {where}: {name}: {error}")
