"""CI's way into the environments: with LANDING_ZONE_DEPLOY_ROLE_NAME set, the environment stacks'
providers assume the deploy role (with its ExternalId) in each target account instead of the
organization's access role; the readiness wait makes the same call."""

from __future__ import annotations

from typing import Any

import pytest

from components import config
from components.program import ci_deploy_role
from components.settings import cicd_names
from deploy import readiness
from tests.configs import stack_values
from tests.conftest import recorded_org_outputs, run_env_stack

PROVIDER = "pulumi:providers:aws"
# The accounts each stack file names: (identity, workload).
ACCOUNTS = {"pre": ("idp-pre", "sandbox"), "prod": ("idp-prod", "workloads-prod")}


def account_id(key: str) -> str:
    return str(recorded_org_outputs()["accounts"][key])


def assumed_roles(stack: str) -> dict[str, Any]:
    recording = run_env_stack(stack)
    providers = {p.name: p for p in recording.of_type(PROVIDER)}
    assert set(providers) == {"identity", "workload"}
    return {
        name: (p.provider_setting("allowedAccountIds"), p.provider_setting("assumeRoles"))
        for name, p in providers.items()
    }


def test_names_agree_between_ci_role_deploy_role_and_external_id() -> None:
    assert cicd_names.ci_role_name("pre") == "landing-zone-ci-pre"
    assert cicd_names.deploy_role_name("prod") == "landing-zone-deploy-prod"
    assert cicd_names.deploy_role_environment("landing-zone-deploy-prod") == "prod"
    assert cicd_names.deploy_role_environment("OrganizationAccountAccessRole") is None
    assert cicd_names.external_id_for_role("landing-zone-deploy-pre") == "landing-zone-pre"
    assert cicd_names.external_id_for_role("landing-zone-ci-pre") is None
    assert cicd_names.external_id_for_role("OrganizationAccountAccessRole") is None


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_without_the_variable_providers_assume_the_org_access_role(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cicd_names.DEPLOY_ROLE_ENV, raising=False)
    roles = assumed_roles(stack)
    for name, key in zip(("identity", "workload"), ACCOUNTS[stack], strict=True):
        allowed, assume = roles[name]
        assert allowed == [account_id(key)]
        assert assume == [
            {
                "roleArn": f"arn:aws:iam::{account_id(key)}:role/OrganizationAccountAccessRole",
                "sessionName": f"landing-zone-{stack}",
            }
        ]


@pytest.mark.parametrize("stack", sorted(ACCOUNTS))
def test_with_the_variable_providers_assume_the_deploy_role_with_its_external_id(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cicd_names.DEPLOY_ROLE_ENV, f"landing-zone-deploy-{stack}")
    roles = assumed_roles(stack)
    for name, key in zip(("identity", "workload"), ACCOUNTS[stack], strict=True):
        allowed, assume = roles[name]
        assert allowed == [account_id(key)]  # still pinned to the account the org stack exports
        assert assume == [
            {
                "roleArn": f"arn:aws:iam::{account_id(key)}:role/landing-zone-deploy-{stack}",
                "sessionName": f"landing-zone-{stack}",
                "externalId": f"landing-zone-{stack}",
            }
        ]


def test_the_deploy_role_replaces_a_profile_meant_for_people(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cicd_names.DEPLOY_ROLE_ENV, "landing-zone-deploy-pre")
    values = stack_values("pre")
    values["identityAccount"] = {"key": "idp-pre", "profile": "idp-pre"}
    recording = run_env_stack("pre", values)
    identity = recording.one(PROVIDER, "identity")
    assert "profile" not in identity.inputs
    assert identity.provider_setting("assumeRoles")[0]["roleArn"].endswith(":role/landing-zone-deploy-pre")


@pytest.mark.parametrize(
    ("stack", "value", "message"),
    [
        ("prod", "landing-zone-deploy-pre", "is the deploy role of environment 'pre', not of 'prod'"),
        ("pre", "landing-zone-deploy-prod", "is the deploy role of environment 'prod', not of 'pre'"),
        ("pre", "bad role/name", "is not an IAM role name"),
    ],
)
def test_a_wrong_deploy_role_stops_with_one_line_before_anything_is_declared(
    stack: str, value: str, message: str
) -> None:
    source = f"Pulumi.{stack}.yaml"
    with pytest.raises(config.ConfigError) as error:
        ci_deploy_role(stack, {cicd_names.DEPLOY_ROLE_ENV: value}, source)
    assert str(error.value).startswith(f"{source}: {cicd_names.DEPLOY_ROLE_ENV}")
    assert message in str(error.value)
    assert ci_deploy_role(stack, {}, source) is None
    assert ci_deploy_role(stack, {cicd_names.DEPLOY_ROLE_ENV: " "}, source) is None


def test_a_wrong_deploy_role_fails_the_program_not_a_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cicd_names.DEPLOY_ROLE_ENV, "landing-zone-deploy-pre")
    with pytest.raises(Exception, match="deploy role of environment 'pre', not of 'prod'"):
        run_env_stack("prod")


def test_readiness_probes_the_deploy_role_the_providers_will_assume(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cicd_names.DEPLOY_ROLE_ENV, "landing-zone-deploy-pre")
    accounts = readiness.target_accounts("pre", recorded_org_outputs())
    assert sorted(arn for _key, _id, arn in accounts) == sorted(
        f"arn:aws:iam::{account_id(key)}:role/landing-zone-deploy-pre" for key in ACCOUNTS["pre"]
    )


class RecordingSts:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def assume_role(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {}


@pytest.mark.parametrize(
    ("role", "external_id"),
    [("landing-zone-deploy-prod", "landing-zone-prod"), ("OrganizationAccountAccessRole", None)],
)
def test_readiness_sends_the_deploy_roles_external_id(role: str, external_id: str | None) -> None:
    sts = RecordingSts()
    arn = f"arn:aws:iam::222222222222:role/{role}"
    readiness.wait_for_account(sts, "workloads-prod", "222222222222", arn, timeout=1, emit=lambda _: None)
    assert sts.calls[0]["RoleArn"] == arn
    assert sts.calls[0].get("ExternalId") == external_id
