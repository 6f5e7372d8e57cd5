"""CognitoIdp under mocks: every user pool, client and domain setting, and how they are wired."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.cognito_idp import CognitoIdp, CognitoIdpArgs
from components.settings.environment import CognitoSettings
from deploy.simulate import Recording, simulate

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
GROUP = "aws:cognito/userGroup:UserGroup"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
COMPONENT = "landingzone:identity:CognitoIdp"

SETTINGS = {
    "domainPrefix": "tasks-test",
    "callbackUrls": ["http://localhost:8100/home/"],
    "logoutUrls": ["http://localhost:8100/home/", "https://example.org/bye/"],
}
FRONTEND = "https://test.d1abc.amplifyapp.com/"


def run_idp(
    settings: dict[str, Any] | None = None,
    *,
    frontend_url: str | Callable[[], pulumi.Output[str]] | None = FRONTEND,
    production: bool = False,
    deletion_protection: bool = False,
    region: str = "eu-west-1",
) -> Recording:
    cognito = CognitoSettings.model_validate(SETTINGS if settings is None else settings)

    def program() -> dict[str, Any]:
        provider = aws.Provider("identity", region=region, allowed_account_ids=["222222222222"])
        url = frontend_url() if callable(frontend_url) else frontend_url
        idp = CognitoIdp(
            "test-idp",
            CognitoIdpArgs(
                settings=cognito,
                environment="test",
                region=region,
                frontend_url=url,
                production=production,
                deletion_protection=deletion_protection,
            ),
            opts=pulumi.ResourceOptions(providers={"aws": provider}),
        )
        return {
            "user_pool_id": idp.user_pool_id,
            "user_pool_client_id": idp.user_pool_client_id,
            "issuer_url": idp.issuer_url,
            "hosted_ui_url": idp.hosted_ui_url,
        }

    return simulate("test", program)


@pytest.fixture(scope="module")
def recording() -> Recording:
    return run_idp()


def test_user_pool_signs_in_with_verified_email_and_requires_name(recording: Recording) -> None:
    pool = recording.one(POOL).inputs
    assert pool["name"] == "tasks-test-users"
    assert pool["usernameAttributes"] == ["email"]
    assert "aliasAttributes" not in pool
    assert pool["usernameConfiguration"] == {"caseSensitive": False}
    assert pool["autoVerifiedAttributes"] == ["email"]
    assert pool["userAttributeUpdateSettings"] == {"attributesRequireVerificationBeforeUpdates": ["email"]}
    schemas = {schema["name"]: schema for schema in pool["schemas"]}
    assert set(schemas) == {"email", "name"}
    for schema in schemas.values():
        assert schema["attributeDataType"] == "String"
        assert schema["required"] is True
        assert schema["mutable"] is True


def test_mfa_is_required_and_totp_only(recording: Recording) -> None:
    pool = recording.one(POOL).inputs
    assert pool["mfaConfiguration"] == "ON"
    assert pool["softwareTokenMfaConfiguration"] == {"enabled": True}
    # No other second factor: no SMS, no e-mail codes.
    assert "smsConfiguration" not in pool
    assert "emailMfaConfiguration" not in pool


def test_password_policy_and_recovery_by_verified_email(recording: Recording) -> None:
    pool = recording.one(POOL).inputs
    assert pool["passwordPolicy"] == {
        "minimumLength": 8,
        "requireLowercase": True,
        "requireUppercase": True,
        "requireNumbers": True,
        "requireSymbols": True,
        "temporaryPasswordValidityDays": 7,
    }
    assert pool["accountRecoverySetting"] == {
        "recoveryMechanisms": [{"name": "verified_email", "priority": 1}]
    }
    assert pool["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": False}


def test_stronger_password_policy_and_admin_only_sign_up_from_settings() -> None:
    recording = run_idp(
        {
            **SETTINGS,
            "passwordPolicy": {"minimumLength": 14},
            "allowSelfSignUp": False,
            "userPoolName": "pool",
        }
    )
    pool = recording.one(POOL).inputs
    assert pool["name"] == "pool"
    assert pool["passwordPolicy"]["minimumLength"] == 14
    assert pool["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": True}


def test_deletion_protection_follows_the_argument(recording: Recording) -> None:
    pool = recording.one(POOL)
    assert pool.inputs["deletionProtection"] == "INACTIVE"
    assert pool.protect is False
    protected = run_idp(deletion_protection=True).one(POOL)
    assert protected.inputs["deletionProtection"] == "ACTIVE"
    assert protected.protect is True


def test_users_group_belongs_to_the_pool(recording: Recording) -> None:
    pool = recording.one(POOL)
    group = recording.one(GROUP).inputs
    assert group["name"] == "Users"
    assert group["userPoolId"] == pool.id


def test_web_client_is_a_public_code_flow_client(recording: Recording) -> None:
    pool = recording.one(POOL)
    client = recording.one(CLIENT).inputs
    assert client["userPoolId"] == pool.id
    assert client["generateSecret"] is False
    assert client["allowedOauthFlowsUserPoolClient"] is True
    assert client["allowedOauthFlows"] == ["code"]
    assert client["allowedOauthScopes"] == [
        "phone",
        "email",
        "openid",
        "profile",
        "aws.cognito.signin.user.admin",
    ]
    assert client["supportedIdentityProviders"] == ["COGNITO"]
    assert client["preventUserExistenceErrors"] == "ENABLED"
    assert client["enableTokenRevocation"] is True
    assert "ALLOW_USER_PASSWORD_AUTH" not in client["explicitAuthFlows"]
    assert "ALLOW_REFRESH_TOKEN_AUTH" in client["explicitAuthFlows"]


def test_token_validity_refresh_thirty_days(recording: Recording) -> None:
    client = recording.one(CLIENT).inputs
    assert client["refreshTokenValidity"] == 30
    assert client["accessTokenValidity"] == 60
    assert client["idTokenValidity"] == 60
    assert client["tokenValidityUnits"] == {
        "accessToken": "minutes",
        "idToken": "minutes",
        "refreshToken": "days",
    }


def test_redirect_urls_are_the_configured_ones_then_the_frontend(recording: Recording) -> None:
    client = recording.one(CLIENT).inputs
    assert client["callbackUrls"] == ["http://localhost:8100/home/", FRONTEND]
    assert client["logoutUrls"] == ["http://localhost:8100/home/", "https://example.org/bye/", FRONTEND]


def test_frontend_url_may_be_an_output_and_is_listed_once() -> None:
    settings = {**SETTINGS, "callbackUrls": [FRONTEND]}
    recording = run_idp(settings, frontend_url=lambda: pulumi.Output.from_input(FRONTEND))
    assert recording.one(CLIENT).inputs["callbackUrls"] == [FRONTEND]


def test_without_a_frontend_url_only_the_configured_urls() -> None:
    recording = run_idp(frontend_url=None)
    assert recording.one(CLIENT).inputs["callbackUrls"] == ["http://localhost:8100/home/"]


def test_http_frontend_url_from_an_output_fails_in_production() -> None:
    with pytest.raises(pulumi.RunError) as error:
        run_idp(
            {"domainPrefix": "tasks-test"},
            production=True,
            frontend_url=lambda: pulumi.Output.from_input("http://app.example.org/"),
        )
    assert str(error.value) == (
        "CognitoIdp test-idp: frontend URL: 'http://app.example.org/' is not https; "
        "production accepts only https redirect URLs"
    )
    gc.collect()  # the failed run's futures: let asyncio's notices land in this test's captured output


def test_hosted_ui_domain_uses_the_configured_prefix(recording: Recording) -> None:
    pool = recording.one(POOL)
    domain = recording.one(DOMAIN).inputs
    assert domain["domain"] == "tasks-test"
    assert domain["userPoolId"] == pool.id
    assert domain["managedLoginVersion"] == 1


def test_outputs(recording: Recording) -> None:
    pool_id = recording.one(POOL).id
    assert recording.outputs == {
        "user_pool_id": pool_id,
        "user_pool_client_id": recording.one(CLIENT).id,
        "issuer_url": f"https://cognito-idp.eu-west-1.amazonaws.com/{pool_id}",
        "hosted_ui_url": "https://tasks-test.auth.eu-west-1.amazoncognito.com",
    }


def test_children_are_parented_and_use_the_components_provider(recording: Recording) -> None:
    component = recording.one(COMPONENT)
    provider = recording.one("pulumi:providers:aws", "identity")
    for type_ in (POOL, CLIENT, GROUP, DOMAIN):
        resource = recording.one(type_)
        assert resource.parent == component.urn
        assert resource.name.startswith("test-idp-")
        assert recording.provider_of(resource) is provider
