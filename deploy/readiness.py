"""Wait until new member accounts accept role assumption, after ``org`` and before an environment.

CreateAccount is asynchronous and a fresh account rejects ``sts:AssumeRole`` into its access role for
several minutes. Instead of a blind sleep, the driver tries the exact call the environment's providers
will make (assume ``arn:aws:iam::<id>:role/<access role>``) with exponential backoff and a timeout, and
says which account it is waiting for. boto3 is reached through an injected session factory, so this is
tested against moto.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from components.settings import cicd_names
from deploy.runner import ReadinessError, SetupError
from iam_documents.access_role import ORGANIZATION_ACCESS_ROLE, role_arn

SESSION_NAME = "landing-zone-readiness"

Emit = Callable[[str], None]
# (account key, account id, role ARN) for each account a stack's providers assume a role in.
AccountsFor = Callable[[str, Mapping[str, Any]], list[tuple[str, str, str]]]


def target_accounts(stack: str, org_outputs: Mapping[str, Any], root: Path | None = None
                    ) -> list[tuple[str, str, str]]:
    """(account key, account id, role ARN) for each account the stack's providers assume a role in.

    Found by running the environment's program under mocks with the real org outputs, so it always
    matches what the program will do. If that is impossible, every member account with the org's
    access role. ``root``: the project directory (default: this checkout).
    """
    # Imported here: the config layer and the mock runtime are needed only by this function.
    from components import config as stack_config
    from deploy.plan import account_names, simulate_stack

    names = account_names(org_outputs)
    try:
        raw = stack_config.read_stack_file(stack, root or stack_config.PROJECT_ROOT)
        settings = stack_config.load(stack, raw)
        if isinstance(settings, stack_config.OrgConfig):  # every other stack reads org's accounts
            return []
        recording = simulate_stack(stack, settings, raw, {settings.org_stack: org_outputs})
    except Exception:
        role = str(org_outputs.get("access_role_name") or ORGANIZATION_ACCESS_ROLE)
        return [
            (key, str(account_id), role_arn(str(account_id), role))
            for key, account_id in (org_outputs.get("accounts") or {}).items()
        ]
    result: dict[str, tuple[str, str, str]] = {}
    for provider in recording.resources:
        if not provider.is_provider:
            continue
        allowed = provider.provider_setting("allowedAccountIds") or []
        for role in provider.provider_setting("assumeRoles") or []:
            arn = role.get("roleArn") if isinstance(role, Mapping) else None
            if arn and len(allowed) == 1:
                account_id = str(allowed[0])
                result[arn] = (names.get(account_id, account_id), account_id, str(arn))
    return list(result.values())


def wait_for_account(
    sts: Any,
    account: str,
    account_id: str,
    arn: str,
    *,
    timeout: float,
    initial_delay: float = 5.0,
    max_delay: float = 60.0,
    emit: Emit = print,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Assume the role ``arn`` in ``account_id`` until it works; return the number of attempts.

    Raises ReadinessError naming the account when ``timeout`` seconds pass without success.
    """
    role_name = arn.rsplit("/", 1)[-1]
    # A CI deploy role trusts its CI role only with the environment's ExternalId (cicd_names).
    external_id = cicd_names.external_id_for_role(role_name)
    extra = {"ExternalId": external_id} if external_id else {}
    started = clock()
    delay = initial_delay
    attempt = 0
    while True:
        attempt += 1
        try:
            sts.assume_role(RoleArn=arn, RoleSessionName=SESSION_NAME, DurationSeconds=900, **extra)
        except NoCredentialsError:
            raise SetupError(
                "no AWS credentials to assume roles with; set AWS_PROFILE or AWS_ACCESS_KEY_ID for the "
                "management account"
            ) from None
        except (ClientError, BotoCoreError) as error:
            elapsed = clock() - started
            reason = _reason(error)
            if elapsed + delay > timeout:
                raise ReadinessError(
                    f"account {account} ({account_id}) did not accept assuming {role_name} within "
                    f"{timeout:.0f}s ({attempt} attempts); last error: {reason}"
                ) from None
            emit(
                f"waiting for account {account} ({account_id}) to accept role assumption: {reason}; "
                f"retrying in {delay:.0f}s"
            )
            sleep(delay)
            delay = min(delay * 2, max_delay)
            continue
        emit(f"account {account} ({account_id}) accepts role assumption ({role_name})")
        return attempt


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        return f"{detail.get('Code', 'error')}: {detail.get('Message', '')}".strip().rstrip(":")
    return str(error)


class AccountReadiness:
    """The readiness gate of ``deploy.orchestrator``: every account ``stack`` deploys into must be usable."""

    def __init__(
        self,
        *,
        accounts_for: AccountsFor,
        session_factory: Callable[[], Any] = boto3.Session,
        timeout: float = 900.0,
        initial_delay: float = 5.0,
        max_delay: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.accounts_for = accounts_for
        self.session_factory = session_factory
        self.timeout = timeout
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.clock = clock

    def __call__(self, stack: str, org_outputs: Mapping[str, Any], emit: Emit) -> None:
        accounts = self.accounts_for(stack, org_outputs)
        if not accounts:
            emit("no member account to wait for")
            return
        session = self.session_factory()
        region = getattr(session, "region_name", None) or "us-east-1"
        sts = session.client("sts", region_name=region)
        for account, account_id, arn in accounts:
            wait_for_account(
                sts,
                account,
                account_id,
                arn,
                timeout=self.timeout,
                initial_delay=self.initial_delay,
                max_delay=self.max_delay,
                emit=emit,
                sleep=self.sleep,
                clock=self.clock,
            )


def check_credentials(session_factory: Callable[[], Any] = boto3.Session) -> str:
    """The account the current AWS credentials belong to; SetupError when there are none."""
    try:
        session = session_factory()
        region = getattr(session, "region_name", None) or "us-east-1"
        identity = session.client("sts", region_name=region).get_caller_identity()
    except NoCredentialsError:
        raise SetupError(
            "No AWS credentials found; set AWS_PROFILE (after `aws sso login`) or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the management account."
        ) from None
    except (ClientError, BotoCoreError) as error:
        raise SetupError(f"The AWS credentials cannot be used: {_reason(error)}.") from None
    return str(identity["Account"])
