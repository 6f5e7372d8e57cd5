"""Shared by the tests of ``logs`` and ``status``: moto with the environment's accounts, stack outputs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws

from deploy.cli import Services
from deploy.runner import StackNotFoundError, StackRunner
from tests.configs import FIXTURE_STACKS
from tests.conftest import recorded_org_outputs

ROOT = FIXTURE_STACKS  # the tests' own stack files (tests/configs.py), not the shipped ones

REGION = "us-east-1"  # Pulumi.pre.yaml landing-zone:region


class OutputsRunner:
    """Only what logs and status call: the outputs of deployed stacks (absent: never deployed)."""

    def __init__(self, outputs: Mapping[str, Mapping[str, Any]]) -> None:
        self.stack_outputs = outputs
        self.asked: list[str] = []

    def outputs(self, stack: str) -> dict[str, Any]:
        self.asked.append(stack)
        if stack not in self.stack_outputs:
            raise StackNotFoundError(f"stack {stack} does not exist in the backend; nothing deployed")
        return dict(self.stack_outputs[stack])


@contextmanager
def moto_accounts(tmp_path: Path) -> Iterator[None]:
    """moto with test credentials standing for the caller's (management) credentials."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            yield


@pytest.fixture
def aws(tmp_path: Path) -> Iterator[None]:
    with moto_accounts(tmp_path):
        yield


def org_outputs() -> dict[str, Any]:
    return recorded_org_outputs()


def account_id(key: str) -> str:
    return str(org_outputs()["accounts"][key])


def session_in(key: str) -> Any:
    """A session in the org account ``key`` through its access role, as the test's seeding side."""
    role = f"arn:aws:iam::{account_id(key)}:role/{org_outputs()['access_role_name']}"
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=role, RoleSessionName="test-seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"], region_name=REGION,
    )


def services(env_outputs: Mapping[str, Any] | None, **kwargs: Any) -> tuple[Services, OutputsRunner]:
    deployed: dict[str, Mapping[str, Any]] = {"org": org_outputs()}
    if env_outputs is not None:
        deployed["pre"] = env_outputs
    runner = OutputsRunner(deployed)
    as_runner = cast(StackRunner, runner)  # outputs() is all logs and status call
    svc = Services(root=ROOT, runner=lambda: as_runner, stdout=StringIO(), stderr=StringIO(), **kwargs)
    return svc, runner
