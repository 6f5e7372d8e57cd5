"""AWS's fixed rules that config cannot bend: reserved tag prefixes, real dates, fixed quotas, policy
files inside their folders. Each case starts from a minimal config of its own."""

from __future__ import annotations

from typing import Any

import pytest

from components import config
from components.settings.landing_zone import SECURITY_STACK_PRINCIPALS


def minimal_org(**values: Any) -> dict[str, Any]:
    return {
        "managementAccountId": "123456789012",
        "emailPattern": "aws+{key}@corp.test",
        "accounts": [
            {"key": "sandbox", "name": "Sandbox", "email": "aws-sandbox@corp.test", "ou": "Sandbox"}
        ],
        **values,
    }


def minimal_env(**values: Any) -> dict[str, Any]:
    return {
        "environment": "pre",
        "orgStack": "org",
        "cognito": {"userPoolName": "tasks-pre-users", "domainPrefix": "tasks-pre-corp"},
        **values,
    }


def error_of(stack: str, raw: dict[str, Any]) -> str:
    with pytest.raises(config.ConfigError) as raised:
        config.load(stack, raw)
    return str(raised.value)


def test_the_minimal_configs_are_valid() -> None:
    assert isinstance(config.load("org", minimal_org()), config.OrgConfig)
    assert isinstance(config.load("pre", minimal_env()), config.EnvConfig)


@pytest.mark.parametrize("key", ["aws:createdBy", "AWS:team", "Aws:x"])
def test_tag_keys_with_the_reserved_aws_prefix_are_rejected(key: str) -> None:
    account = {**minimal_org()["accounts"][0], "tags": {key: "me"}}
    assert error_of("org", minimal_org(accounts=[account])) == (
        f"Pulumi.org.yaml: landing-zone:accounts[0].tags: tag key '{key}': "
        "the 'aws:' prefix is reserved for AWS"
    )
    assert error_of("pre", minimal_env(tags={key: "me"})).startswith(
        "Pulumi.pre.yaml: landing-zone:tags: tag key"
    )


def test_tag_lengths_follow_the_tagging_api() -> None:
    assert "longer than 256" in error_of("pre", minimal_env(tags={"team": "x" * 257}))
    assert "longer than 128" in error_of("pre", minimal_env(tags={"k" * 129: "x"}))
    assert config.load("pre", minimal_env(tags={"k" * 128: "x" * 256}))


@pytest.mark.parametrize("date", ["2024-13-45", "2023-02-29", "2024-00-10"])
def test_a_suspension_date_must_exist(date: str) -> None:
    account: dict[str, Any] = {
        "key": "old", "name": "Old", "email": "aws-old@corp.test", "ou": "Suspended",
        "suspension": {"by": "ops", "date": date, "reason": "closed"},
    }
    assert error_of("org", minimal_org(accounts=[account])) == (
        f"Pulumi.org.yaml: landing-zone:accounts[0].suspension.date: '{date}' "
        "is not a calendar date (YYYY-MM-DD)"
    )
    account["suspension"]["date"] = "2024-02-29"
    assert config.load("org", minimal_org(accounts=[account]))


def test_aws_fixed_scp_quotas_can_be_lowered_not_raised() -> None:
    assert error_of("org", minimal_org(scpLimits={"maxPoliciesPerTarget": 6})) == (
        "Pulumi.org.yaml: landing-zone:scpLimits.maxPoliciesPerTarget: "
        "Input should be less than or equal to 5"
    )
    assert error_of("org", minimal_org(scpLimits={"maxDocumentChars": 6000})).startswith(
        "Pulumi.org.yaml: landing-zone:scpLimits.maxDocumentChars: "
        "Input should be less than or equal to 5120"
    )
    assert config.load("org", minimal_org(scpLimits={"maxPoliciesPerTarget": 4}))


@pytest.mark.parametrize("file", ["../permission_sets/provisioners.json", "/etc/passwd.json", "sub/x.json"])
def test_an_scp_file_cannot_walk_out_of_its_folder(file: str) -> None:
    scp = {"name": "extra", "file": file, "targets": ["Sandbox"]}
    assert error_of("org", minimal_org(serviceControlPolicies=[scp])).startswith(
        "Pulumi.org.yaml: landing-zone:serviceControlPolicies[0].file: String should match pattern"
    )


def test_an_inline_policy_file_cannot_walk_out_of_its_folder() -> None:
    center = {"permissionSets": [{"name": "ops", "inlinePolicy": "../scp/guardrails.json"}]}
    assert error_of("org", minimal_org(identityCenter=center)).startswith(
        "Pulumi.org.yaml: landing-zone:identityCenter.permissionSets[0].inlinePolicy: "
        "String should match pattern"
    )


@pytest.mark.parametrize("principals", [[], ["config.amazonaws.com"]])
def test_identity_center_keeps_the_organizations_trusted_access(principals: list[str]) -> None:
    assert error_of("org", minimal_org(organization={"awsServiceAccessPrincipals": principals})) == (
        "Pulumi.org.yaml: landing-zone:organization.awsServiceAccessPrincipals: must include "
        "sso.amazonaws.com: Identity Center needs the organization's trusted access"
    )
    kept = ["config.amazonaws.com", "sso.amazonaws.com", *SECURITY_STACK_PRINCIPALS]
    assert config.load("org", minimal_org(organization={"awsServiceAccessPrincipals": kept}))
