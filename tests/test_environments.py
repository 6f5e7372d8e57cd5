"""The pre and prod stacks from their stack files, with the org stack's outputs behind the reference."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from components import config
from deploy.simulate import STACK_REFERENCE, Recording
from tests.configs import stack_values
from tests.conftest import ROOT, recorded_org_outputs, run_env_stack

ENVIRONMENTS = ("pre", "prod")
# The accounts each stack file names: (identity, workload).
ACCOUNTS = {"pre": ("idp-pre", "sandbox"), "prod": ("idp-prod", "workloads-prod")}
PROVIDER = "pulumi:providers:aws"
POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
GROUP = "aws:cognito/userGroup:UserGroup"
IDP_OUTPUTS = {"user_pool_id", "user_pool_client_id", "issuer_url", "hosted_ui_url"}


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def env(request: pytest.FixtureRequest) -> tuple[str, Recording]:
    return request.param, run_env_stack(request.param)


@pytest.fixture(autouse=True)
def _collect_failed_runs() -> Iterator[None]:
    """A run that fails inside an apply leaves futures holding the error; collect them within the
    test, so asyncio's "never retrieved" notices stay in the test's captured output."""
    yield
    gc.collect()


def raw(stack: str, **changes: Any) -> dict[str, Any]:
    values = stack_values(stack)
    values.update(changes)
    return values


def account_id(key: str) -> str:
    return str(recorded_org_outputs()["accounts"][key])


# --- providers ---------------------------------------------------------------------------------


def test_one_provider_per_account_assuming_the_org_access_role(env: tuple[str, Recording]) -> None:
    stack, recording = env
    providers = {p.name: p for p in recording.of_type(PROVIDER)}
    assert set(providers) == {"identity", "workload"}
    for name, key in zip(("identity", "workload"), ACCOUNTS[stack], strict=True):
        provider = providers[name]
        expected = account_id(key)
        assert provider.provider_setting("allowedAccountIds") == [expected]
        assert provider.provider_setting("assumeRoles") == [
            {
                "roleArn": f"arn:aws:iam::{expected}:role/OrganizationAccountAccessRole",
                "sessionName": f"landing-zone-{stack}",
            }
        ]
        assert provider.inputs["region"] == "us-east-1"
        assert "profile" not in provider.inputs
        assert provider.provider_setting("defaultTags") == {
            "tags": {"project": "landing-zone", "environment": stack, "managed-by": "pulumi/landing-zone"}
        }


def test_identity_and_workload_accounts_differ_from_the_management_account(
    env: tuple[str, Recording],
) -> None:
    _, recording = env
    management = recorded_org_outputs()["management_account_id"]
    for provider in recording.of_type(PROVIDER):
        assert management not in provider.provider_setting("allowedAccountIds")


def test_no_resource_uses_the_default_provider(env: tuple[str, Recording]) -> None:
    _, recording = env
    resources = [r for r in recording.custom_resources if r.type != STACK_REFERENCE]
    assert resources
    for resource in resources:
        provider = recording.provider_of(resource)
        assert provider is not None, f"{resource.type} {resource.name} uses the default provider"
        # An explicit provider of the resource's own package (aws, or random for the database password).
        package = resource.type.split(":")[0]
        assert provider.type == f"pulumi:providers:{package}", (resource.type, provider.type)


def test_cognito_is_in_the_identity_account(env: tuple[str, Recording]) -> None:
    stack, recording = env
    identity = recording.one(PROVIDER, "identity")
    for type_ in (POOL, CLIENT, DOMAIN, GROUP):
        resource = recording.one(type_)
        assert recording.provider_of(resource) is identity, type_
    assert identity.provider_setting("allowedAccountIds") == [account_id(ACCOUNTS[stack][0])]


def test_stack_files_disable_default_providers() -> None:
    for stack in ENVIRONMENTS:
        data = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
        assert data["config"]["pulumi:disable-default-providers"] == ["*"]


def test_accounts_default_to_the_seed_layout_when_not_named() -> None:
    for stack, (identity, workload) in ACCOUNTS.items():
        values = stack_values(stack)
        del values["identityAccount"], values["workloadAccount"]
        loaded = config.load(stack, values)
        assert isinstance(loaded, config.EnvConfig)
        assert (loaded.identity_account.key, loaded.workload_account.key) == (identity, workload)


def test_account_given_as_a_bare_key() -> None:
    recording = run_env_stack("pre", raw("pre", workloadAccount="workloads-sdlc"))
    workload = recording.one(PROVIDER, "workload")
    assert workload.provider_setting("allowedAccountIds") == [account_id("workloads-sdlc")]


def test_named_profile_instead_of_assuming_a_role() -> None:
    recording = run_env_stack("pre", raw("pre", identityAccount={"key": "idp-pre", "profile": "idp-pre"}))
    identity = recording.one(PROVIDER, "identity")
    assert identity.inputs["profile"] == "idp-pre"
    assert "assumeRoles" not in identity.inputs
    assert identity.provider_setting("allowedAccountIds") == [account_id("idp-pre")]
    # The other account keeps the default.
    assert recording.one(PROVIDER, "workload").provider_setting("assumeRoles")


def test_configured_role_assumed_from_a_profile() -> None:
    access = {"key": "sandbox", "profile": "management", "roleName": "LandingZoneDeployer"}
    recording = run_env_stack("pre", raw("pre", workloadAccount=access))
    workload = recording.one(PROVIDER, "workload")
    assert workload.inputs["profile"] == "management"
    assert workload.provider_setting("assumeRoles")[0]["roleArn"] == (
        f"arn:aws:iam::{account_id('sandbox')}:role/LandingZoneDeployer"
    )


def test_role_name_defaults_to_the_org_stacks_access_role() -> None:
    outputs = recorded_org_outputs()
    outputs["access_role_name"] = "CustomAccessRole"
    recording = run_env_stack("prod", org_outputs=outputs)
    identity = recording.one(PROVIDER, "identity")
    assert identity.provider_setting("assumeRoles")[0]["roleArn"] == (
        f"arn:aws:iam::{account_id('idp-prod')}:role/CustomAccessRole"
    )


def test_extra_tags_join_the_default_tags() -> None:
    recording = run_env_stack("pre", raw("pre", tags={"cost-center": "42"}))
    tags = recording.one(PROVIDER, "workload").provider_setting("defaultTags")["tags"]
    assert tags == {
        "cost-center": "42",
        "project": "landing-zone",
        "environment": "pre",
        "managed-by": "pulumi/landing-zone",
    }


# --- Cognito per environment ------------------------------------------------------------------


def test_exports_of_the_identity_provider(env: tuple[str, Recording]) -> None:
    stack, recording = env
    assert set(recording.outputs) >= IDP_OUTPUTS
    pool_id = recording.one(POOL).id
    prefix = recording.one(DOMAIN).inputs["domain"]
    assert recording.outputs["user_pool_id"] == pool_id
    assert recording.outputs["user_pool_client_id"] == recording.one(CLIENT).id
    assert recording.outputs["issuer_url"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
    assert recording.outputs["hosted_ui_url"] == f"https://{prefix}.auth.us-east-1.amazoncognito.com"
    # No domainPrefix in the stack files: derived from the environment and the IdP account's id.
    assert prefix == f"tasks-{stack}-{account_id(ACCOUNTS[stack][0])}"


def test_every_environment_requires_totp_mfa_and_email_sign_in(env: tuple[str, Recording]) -> None:
    _, recording = env
    pool = recording.one(POOL).inputs
    assert pool["mfaConfiguration"] == "ON"
    assert pool["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert pool["usernameAttributes"] == ["email"]
    assert pool["autoVerifiedAttributes"] == ["email"]
    assert {s["name"] for s in pool["schemas"] if s["required"]} == {"email", "name"}
    assert recording.one(GROUP).inputs["name"] == "Users"
    client = recording.one(CLIENT).inputs
    assert client["generateSecret"] is False
    assert client["allowedOauthFlows"] == ["code"]
    assert client["refreshTokenValidity"] == 30
    assert client["preventUserExistenceErrors"] == "ENABLED"


def test_pre_redirects_to_localhost_and_the_frontend() -> None:
    recording = run_env_stack("pre")
    client = recording.one(CLIENT).inputs
    # The frontend URL is the environment's Amplify branch (see tests/test_tasks_environments.py).
    expected = ["http://localhost:8100/home/", recording.outputs["frontend_url"]]
    assert client["callbackUrls"] == expected
    assert client["logoutUrls"] == expected


def test_prod_redirects_only_to_https() -> None:
    recording = run_env_stack("prod")
    client = recording.one(CLIENT).inputs
    assert client["callbackUrls"] == [recording.outputs["frontend_url"]]
    assert all(url.startswith("https://") for url in client["callbackUrls"] + client["logoutUrls"])


def test_prod_pool_is_protected_and_has_a_stronger_password_policy() -> None:
    pool = run_env_stack("prod").one(POOL)
    assert pool.inputs["deletionProtection"] == "ACTIVE"
    assert pool.protect is True
    assert pool.inputs["passwordPolicy"]["minimumLength"] == 12


def test_pre_pool_can_be_deleted() -> None:
    pool = run_env_stack("pre").one(POOL)
    assert pool.inputs["deletionProtection"] == "INACTIVE"
    assert pool.protect is False
    assert pool.inputs["passwordPolicy"]["minimumLength"] == 8


# --- config errors (before anything is declared) ----------------------------------------------


def cognito(stack: str, **changes: Any) -> dict[str, Any]:
    return raw(stack, cognito={**stack_values(stack)["cognito"], **changes})


@pytest.mark.parametrize(
    ("stack", "values", "message"),
    [
        (
            "prod",
            cognito("prod", callbackUrls=["https://ok.example.org/", "http://localhost:8100/home/"]),
            "Pulumi.prod.yaml: landing-zone:cognito.callbackUrls[1]: 'http://localhost:8100/home/' is not "
            "https; production accepts only https redirect URLs",
        ),
        (
            "prod",
            cognito("prod", logoutUrls=["http://localhost:8100/home/"]),
            "Pulumi.prod.yaml: landing-zone:cognito.logoutUrls[0]: 'http://localhost:8100/home/' is not "
            "https; production accepts only https redirect URLs",
        ),
        (
            "pre",
            cognito("pre", callbackUrl=["https://app.example.org/"]),
            "Pulumi.pre.yaml: landing-zone:cognito.callbackUrl: unknown key (check the spelling against "
            "Pulumi.yaml)",
        ),
        (
            "pre",
            cognito("pre", callbackUrls=["http://app.example.org/"]),
            "Pulumi.pre.yaml: landing-zone:cognito.callbackUrls: 'http://app.example.org/' is not https; "
            "plain http is accepted only for localhost",
        ),
        (
            "pre",
            cognito("pre", callbackUrls=["https://app.example.org/#/home"]),
            "Pulumi.pre.yaml: landing-zone:cognito.callbackUrls: 'https://app.example.org/#/home' has a "
            "fragment (#...), which OAuth redirect URLs must not have",
        ),
        (
            "pre",
            cognito("pre", frontendUrl="http://localhost:8100/"),
            "Pulumi.pre.yaml: landing-zone:cognito.frontendUrl: 'http://localhost:8100/' is not https; "
            "the frontend is served over https only",
        ),
        (
            "pre",
            cognito("pre", callbackUrls=["/home/"]),
            "Pulumi.pre.yaml: landing-zone:cognito.callbackUrls: '/home/' is not an absolute http(s) URL",
        ),
        (
            "prod",
            cognito("prod", deletionProtection=False),
            "Pulumi.prod.yaml: landing-zone:cognito.deletionProtection: cannot be turned off in a "
            "production environment; to lower it, add {resource: userPool.deletionProtection, reason: ...} "
            "to productionOptOuts",
        ),
        (
            "pre",
            cognito("pre", domainPrefix="Tasks_Pre"),
            "Pulumi.pre.yaml: landing-zone:cognito.domainPrefix: 'Tasks_Pre' is not a valid Cognito domain "
            "prefix (1-63 lowercase letters, digits and inner hyphens)",
        ),
        (
            "pre",
            cognito("pre", domainPrefix="my-cognito-login"),
            "Pulumi.pre.yaml: landing-zone:cognito.domainPrefix: 'my-cognito-login' contains 'cognito', "
            "which Cognito reserves",
        ),
        (
            "pre",
            cognito("pre", passwordPolicy={"minimumLength": 6}),
            "Pulumi.pre.yaml: landing-zone:cognito.passwordPolicy.minimumLength: Input should be greater "
            "than or equal to 8",
        ),
        (
            "pre",
            cognito("pre", refreshTokenValidityDays=0),
            "Pulumi.pre.yaml: landing-zone:cognito.refreshTokenValidityDays: Input should be greater than "
            "or equal to 1",
        ),
        (
            "pre",
            raw("pre", tags={"environment": "other"}),
            "Pulumi.pre.yaml: landing-zone:tags.environment: is set by the program on every resource",
        ),
        (
            "pre",
            raw("pre", identityAccount={"key": "idp-pre", "role": "Admin"}),
            "Pulumi.pre.yaml: landing-zone:identityAccount.role: unknown key (check the spelling against "
            "Pulumi.yaml)",
        ),
        (
            "pre",
            raw("pre", identityAccount="IdP Pre"),
            "Pulumi.pre.yaml: landing-zone:identityAccount.key: String should match pattern "
            "'^[a-z][a-z0-9-]{0,39}$'",
        ),
        (
            "pre",
            raw("pre", region="useast1"),
            "Pulumi.pre.yaml: landing-zone:region: String should match pattern '^[a-z]{2}(-[a-z]+)+-\\d$'",
        ),
        (
            "pre",
            {k: v for k, v in raw("pre").items() if k != "cognito"},
            "Pulumi.pre.yaml: landing-zone:cognito: is required",
        ),
    ],
)
def test_config_errors(stack: str, values: dict[str, Any], message: str) -> None:
    with pytest.raises(config.ConfigError) as error:
        config.load(stack, values)
    assert str(error.value) == message


def test_accounts_are_required_for_an_environment_without_defaults() -> None:
    values = raw("pre", environment="qa")
    del values["identityAccount"]
    with pytest.raises(config.ConfigError) as error:
        config.load("qa", values)
    assert str(error.value) == "Pulumi.qa.yaml: landing-zone:identityAccount: is required"


def test_production_follows_the_stack_name_and_callback_urls_are_https_there() -> None:
    values = {**cognito("prod", callbackUrls=["http://localhost:8100/home/"]), "environment": "prod"}
    with pytest.raises(config.ConfigError, match=r"cognito\.callbackUrls\[0\]: .* is not https"):
        config.load("prod", values)


def test_environment_keys_are_documented_in_pulumi_yaml() -> None:
    documented = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))["template"]["config"]
    for key in ("environment", "orgStack", "region", "productionOptOuts", "identityAccount",
                "workloadAccount", "tags", "cognito"):
        assert documented[f"landing-zone:{key}"]["description"].startswith("[")
