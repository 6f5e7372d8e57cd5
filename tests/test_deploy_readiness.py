"""The wait for new accounts, through boto3 against moto: sts:AssumeRole into each account's access role
with backoff, a timeout and messages that name the account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from deploy.readiness import AccountReadiness, check_credentials, role_arn, wait_for_account
from deploy.runner import EXIT_SETUP, ReadinessError, SetupError

SANDBOX = ("sandbox", "222222222222", role_arn("222222222222", "OrganizationAccountAccessRole"))
IDP = ("idp-pre", "333333333333", role_arn("333333333333", "OrganizationAccountAccessRole"))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111111111111")
    with mock_aws():
        yield


class Sts:
    """moto's STS client, except that some accounts reject AssumeRole for their first attempts
    (a new account whose access role does not exist yet); records every RoleArn tried."""

    def __init__(self, rejections: dict[str, int]) -> None:
        self.client = boto3.client("sts", region_name="us-east-1")
        self.rejections = dict(rejections)
        self.tried: list[str] = []

    def assume_role(self, **kwargs: Any) -> Any:
        arn = kwargs["RoleArn"]
        self.tried.append(arn)
        account = arn.split(":")[4]
        if self.rejections.get(account, 0) > 0:
            self.rejections[account] -= 1
            raise ClientError(
                {
                    "Error": {
                        "Code": "AccessDenied",
                        "Message": f"User is not authorized to perform: sts:AssumeRole on {arn}",
                    }
                },
                "AssumeRole",
            )
        return self.client.assume_role(**kwargs)


class Session:
    def __init__(self, sts: Sts) -> None:
        self.sts = sts
        self.region_name = "us-east-1"

    def client(self, service: str, region_name: str | None = None) -> Any:
        assert service == "sts"
        return self.sts


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_ready_accounts_pass_at_the_first_attempt_through_moto(aws: None) -> None:
    sts = Sts({})
    clock = Clock()
    lines: list[str] = []
    gate = AccountReadiness(
        accounts_for=lambda stack, outputs: [SANDBOX, IDP],
        session_factory=lambda: Session(sts),
        sleep=clock.sleep,
        clock=clock,
    )
    gate("pre", {"accounts": {}}, lines.append)
    assert sts.tried == [SANDBOX[2], IDP[2]]
    assert clock.sleeps == []
    assert lines == [
        "account sandbox (222222222222) accepts role assumption (OrganizationAccountAccessRole)",
        "account idp-pre (333333333333) accepts role assumption (OrganizationAccountAccessRole)",
    ]


def test_the_real_boto3_session_is_what_the_gate_uses_by_default(aws: None) -> None:
    lines: list[str] = []
    gate = AccountReadiness(accounts_for=lambda stack, outputs: [SANDBOX])
    gate("pre", {}, lines.append)  # boto3.Session() under moto: AssumeRole succeeds
    assert lines == ["account sandbox (222222222222) accepts role assumption (OrganizationAccountAccessRole)"]


def test_a_new_account_is_retried_with_exponential_backoff_until_it_accepts(aws: None) -> None:
    sts = Sts({"222222222222": 4})
    clock = Clock()
    lines: list[str] = []
    attempts = wait_for_account(
        sts,
        *SANDBOX,
        timeout=600,
        initial_delay=5,
        max_delay=30,
        emit=lines.append,
        sleep=clock.sleep,
        clock=clock,
    )
    assert attempts == 5
    assert clock.sleeps == [5, 10, 20, 30]  # doubled each time, capped
    assert lines[0] == (
        "waiting for account sandbox (222222222222) to accept role assumption: AccessDenied: User is not "
        "authorized to perform: sts:AssumeRole on "
        "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole; retrying in 5s"
    )
    assert (
        lines[-1] == "account sandbox (222222222222) accepts role assumption (OrganizationAccountAccessRole)"
    )


def test_an_account_that_never_accepts_fails_after_the_timeout_naming_it(aws: None) -> None:
    sts = Sts({"333333333333": 10_000})
    clock = Clock()
    gate = AccountReadiness(
        accounts_for=lambda stack, outputs: [SANDBOX, IDP],
        session_factory=lambda: Session(sts),
        timeout=120,
        initial_delay=5,
        max_delay=60,
        sleep=clock.sleep,
        clock=clock,
    )
    with pytest.raises(ReadinessError) as caught:
        gate("pre", {}, lambda _: None)
    message = str(caught.value)
    assert message.startswith(
        "account idp-pre (333333333333) did not accept assuming OrganizationAccountAccessRole within 120s"
    )
    assert "last error: AccessDenied" in message
    assert clock.now <= 120 and sum(clock.sleeps) == 5 + 10 + 20 + 40


def test_no_credentials_at_all_is_a_setup_error_not_a_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(name, raising=False)
    clock = Clock()
    gate = AccountReadiness(accounts_for=lambda stack, outputs: [SANDBOX], sleep=clock.sleep, clock=clock)
    with pytest.raises(SetupError, match="no AWS credentials to assume roles with") as caught:
        gate("pre", {}, lambda _: None)
    assert caught.value.exit_code == EXIT_SETUP and clock.sleeps == []
    with pytest.raises(SetupError, match=r"^No AWS credentials found; set AWS_PROFILE"):
        check_credentials()


def test_check_credentials_names_the_account_of_the_caller(aws: None) -> None:
    assert check_credentials() == "111111111111"


def test_a_stack_without_member_accounts_does_not_wait(aws: None) -> None:
    lines: list[str] = []
    AccountReadiness(accounts_for=lambda stack, outputs: [])("pre", {}, lines.append)
    assert lines == ["no member account to wait for"]
