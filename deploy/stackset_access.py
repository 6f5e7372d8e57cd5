"""CloudFormation StackSets' trusted access with AWS Organizations, before a security stack runs.

The account baseline's service-managed StackSets (components/account_baseline.py) can be created only once
StackSets' trusted access with Organizations is active; activating it is a CloudFormation call, not a
Pulumi resource (ActivateOrganizationsAccess; CloudFormation User Guide, "Activate trusted access for
StackSets with AWS Organizations", stacksets-orgs-activate-trusted-access.html: it needs all features on
and an administrator of the management account). So, for a stack whose
file has ``landing-zone:security`` with ``baseline.ebsEncryptionByDefault`` on (the default) or
``tooling.awsConfig`` on (the recorders' StackSet):

- ``preview``: ask DescribeOrganizationsAccess and say what ``up`` will do;
- ``up``: right before the stack's update (after its preview was accepted, so after ``org`` exists),
  activate it when it is not ``ENABLED`` and check that it now is.

Both calls are made with the management account's credentials (the caller's), CallAs ``SELF``. The
operations and the Status values (``ENABLED``, ``DISABLED``, ``DISABLED_PERMANENTLY``) are those of
botocore's cloudformation model; moto does not implement them, so the tests stub the client (botocore's
Stubber, which checks each request and response against that model). Any failure is one line.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from components.settings.base import PROJECT
from deploy.runner import SetupError

SECURITY_KEY = f"{PROJECT}:security"  # a stack file with this key is a security stack
REGION_KEY = "aws:region"
ENABLED = "ENABLED"
CALL_AS = "SELF"  # the management account itself (DescribeOrganizationsAccess CallAs)
WHAT = "CloudFormation StackSets' trusted access with AWS Organizations"

Emit = Callable[[str], None]
ClientFactory = Callable[[str], Any]  # region -> a boto3 CloudFormation client


class StackSetAccessError(SetupError):
    """Trusted access could not be read or activated; one line."""


def needs_trusted_access(file_config: Mapping[str, Any]) -> bool:
    """True for a security stack that declares a service-managed StackSet: the baseline's EBS encryption
    (on by default) or the AWS Config recorders (``tooling.awsConfig``, off by default). Every
    service-managed StackSet needs it ("Before you create a StackSet with service-managed permissions,
    you must first ... activate trusted access", stacksets-orgs-activate-trusted-access.html)."""
    security = file_config.get(SECURITY_KEY)
    if not isinstance(security, Mapping):
        return False
    tooling = security.get("tooling")
    if isinstance(tooling, Mapping) and _on(tooling.get("awsConfig")):
        return True
    baseline = security.get("baseline")
    if baseline is None:
        return True
    return not isinstance(baseline, Mapping) or baseline.get("ebsEncryptionByDefault", True) is not False


def _on(value: Any) -> bool:
    """A flag as the settings read it (pydantic's lax bool: true, "true", "yes", 1...); unset is off."""
    from pydantic import TypeAdapter, ValidationError

    try:
        return value is not None and TypeAdapter(bool).validate_python(value)
    except ValidationError:
        return False  # the stack's config check reports it


def stacks_needing_access(names: Sequence[str], root: Path) -> dict[str, str | None]:
    """The selected stacks that need trusted access, each with its ``aws:region`` (None: not set)."""
    from components.stack_files import read_stack_file_config

    found: dict[str, str | None] = {}
    for name in names:
        file_config = read_stack_file_config(name, root)
        if needs_trusted_access(file_config):
            region = file_config.get(REGION_KEY)
            found[name] = str(region) if region else None
    return found


def _reason(error: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        text = f"{detail.get('Code', 'error')}: {detail.get('Message', '')}"
    else:
        text = str(error) or type(error).__name__
    return text.strip().splitlines()[0].rstrip(":")  # one line, whatever AWS sent


def _status(cloudformation: Any) -> str:
    return str(cloudformation.describe_organizations_access(CallAs=CALL_AS)["Status"])


def ensure_trusted_access(stack: str, cloudformation: Any, *, activate: bool, emit: Emit) -> str:
    """Read the status; with ``activate``, turn it on when it is not ``ENABLED``. Returns the status last
    read. Raises StackSetAccessError naming the stack when a call fails or activation did not take."""
    from botocore.exceptions import BotoCoreError, ClientError

    doing = "read"
    try:
        status = _status(cloudformation)
        if status == ENABLED:
            emit(f"{WHAT} is active")
            return status
        if not activate:
            emit(f"{WHAT} is {status}: up activates it (ActivateOrganizationsAccess) before updating {stack}")
            return status
        doing = "activate"
        emit(f"{WHAT} is {status}: activating it (ActivateOrganizationsAccess)")
        cloudformation.activate_organizations_access()
        status = _status(cloudformation)
    except (ClientError, BotoCoreError) as error:
        raise StackSetAccessError(
            f"cannot {doing} {WHAT} for stack {stack} (its account baseline's StackSet needs it; use the "
            f"management account's credentials): {_reason(error)}"
        ) from None
    if status != ENABLED:
        raise StackSetAccessError(
            f"{WHAT} is still {status} after activating it for stack {stack}; activate it in the "
            "CloudFormation console (StackSets) with the management account, then run up again"
        )
    emit(f"{WHAT} is now active")
    return status


class StackSetAccessGate:
    """The driver's hook: ``preview`` reports, ``before_apply`` activates, for the stacks that need it."""

    def __init__(self, stacks: Mapping[str, str | None], client_for: ClientFactory) -> None:
        self.stacks = dict(stacks)  # stack -> its region (None: the session's)
        self.client_for = client_for
        self._active = False

    @property
    def names(self) -> Collection[str]:
        return self.stacks.keys()

    def _client(self, stack: str) -> Any:
        from botocore.exceptions import BotoCoreError, NoCredentialsError

        try:
            return self.client_for(self.stacks[stack] or "")
        except (NoCredentialsError, BotoCoreError) as error:
            raise StackSetAccessError(f"cannot reach CloudFormation for stack {stack}: {_reason(error)}"
                                      ) from None

    def preview(self, stack: str, emit: Emit) -> None:
        if stack in self.stacks:
            ensure_trusted_access(stack, self._client(stack), activate=False, emit=emit)

    def before_apply(self, stack: str, emit: Emit) -> None:
        if stack in self.stacks and not self._active:  # one organization: once per run is enough
            ensure_trusted_access(stack, self._client(stack), activate=True, emit=emit)
            self._active = True


def session_clients(session_factory: Callable[[], Any]) -> ClientFactory:
    """CloudFormation clients from the caller's session: the stack's region, else the session's."""

    def client_for(region: str) -> Any:
        session = session_factory()
        return session.client("cloudformation",
                              region_name=region or getattr(session, "region_name", None) or "us-east-1")

    return client_for
