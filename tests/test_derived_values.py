"""Values the config derives: e-mails from ``emailPattern``, the Cognito domain prefix from the IdP account
id, and how ``plan`` lists them with their source."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components import config
from components.cognito_idp import CognitoIdp, CognitoIdpArgs
from components.settings.environment import CognitoSettings
from deploy import plan
from deploy.simulate import simulate
from deploy.stack_checks import INFO
from tests.configs import FIXTURE_STACKS, env_config, stack_values
from tests.conftest import recorded_org_outputs, run_env_stack, run_stack
from tests.test_deploy_plan import stack_root

ACCOUNT = "aws:organizations/account:Account"
BUDGET = "aws:budgets/budget:Budget"
USER = "aws:identitystore/user:User"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"


def org(raw: dict[str, Any]) -> config.OrgConfig:
    settings = config.load("org", raw)
    assert isinstance(settings, config.OrgConfig)
    return settings


def error(stack: str, raw: dict[str, Any]) -> str:
    with pytest.raises(config.ConfigError) as caught:
        config.load(stack, raw)
    message = str(caught.value)
    assert "\n" not in message
    return message


def with_pattern(raw: dict[str, Any], pattern: Any) -> dict[str, Any]:
    return {**copy.deepcopy(raw), "emailPattern": pattern}


# --- e-mails from emailPattern ------------------------------------------------------------------


def test_the_pattern_gives_every_address_the_org_needs(org_raw: dict[str, Any]) -> None:
    raw = with_pattern(org_raw, "ops+{key}@corp.example.org")
    settings = org(raw)
    assert {a.key: a.email for a in settings.accounts} == {
        a["key"]: f"ops+{a['key']}@corp.example.org" for a in raw["accounts"]
    }
    sandbox = settings.accounts[0]
    assert sandbox.budget is not None and sandbox.budget.notify == ("ops+billing@corp.example.org",)
    assert [u.email for u in settings.identity_center.users] == ["ops+sso-sandbox@corp.example.org"]


def test_the_derived_addresses_are_what_the_program_sends(org_recording: Any) -> None:
    accounts = {a.name: a.inputs["email"] for a in org_recording.of_type(ACCOUNT)}
    assert accounts["landing-zone-account-idp-pre"] == "aws+idp-pre@example.com"
    (budget,) = org_recording.of_type(BUDGET)
    assert {tuple(n["subscriberEmailAddresses"]) for n in budget.inputs["notifications"]} == {
        ("aws+billing@example.com",)
    }
    (user,) = org_recording.of_type(USER)
    assert user.inputs["emails"]["value"] == "aws+sso-sandbox@example.com"


def test_an_explicit_address_overrides_the_pattern(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    raw["accounts"][1]["email"] = "security-idp@corp.example.org"
    raw["accounts"][0]["budget"]["notify"] = ["finance@corp.example.org", "cto@corp.example.org"]
    raw["identityCenter"]["users"][0]["email"] = "ana@corp.example.org"
    settings = org(raw)
    assert settings.accounts[1].email == "security-idp@corp.example.org"
    assert settings.accounts[2].email == "aws+idp-prod@example.com"  # the others still derive
    assert settings.accounts[0].budget is not None
    assert settings.accounts[0].budget.notify == ("finance@corp.example.org", "cto@corp.example.org")
    assert settings.identity_center.users[0].email == "ana@corp.example.org"
    # Without the pattern, every address must be explicit.
    assert error("org", {k: v for k, v in org_raw.items() if k != "emailPattern"}) == (
        "Pulumi.org.yaml: landing-zone:accounts[0].email: is required (or set landing-zone:emailPattern to "
        "derive it)"
    )


def test_default_identity_center_users_take_the_pattern_too(org_raw: dict[str, Any]) -> None:
    minimal = {k: v for k, v in org_raw.items() if k != "identityCenter"}
    assert [u.email for u in org(minimal).identity_center.users] == ["aws+sso-sandbox@example.com"]
    explicit = copy.deepcopy(minimal)
    explicit.pop("emailPattern")
    for account in explicit["accounts"]:
        account["email"] = f"aws-{account['key']}@example.com"
    explicit["accounts"][0]["budget"]["notify"] = ["aws-billing@example.com"]
    assert error("org", explicit) == (
        "Pulumi.org.yaml: landing-zone:identityCenter.users[0].email: is required (or set "
        "landing-zone:emailPattern to derive it)"
    )


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("aws@example.org", "emailPattern: 'aws@example.org' must hold {key} once, before the @"),
        ("aws+{key}@{key}.org", "emailPattern: 'aws+{key}@{key}.org' must hold {key} once"),
        ("aws+{name}+{key}@example.org", "emailPattern: 'aws+{name}+{key}@example.org' has braces other"),
        ("aws+{key}@localhost", "emailPattern: 'aws+{key}@localhost' does not give a valid e-mail address"),
        (["aws+{key}@example.org"], "emailPattern: must be a string"),
    ],
)
def test_a_bad_pattern_is_named(org_raw: dict[str, Any], pattern: Any, expected: str) -> None:
    message = error("org", with_pattern(org_raw, pattern))
    assert message.startswith(f"Pulumi.org.yaml: landing-zone:{expected}")


def test_derived_addresses_are_checked_like_typed_ones(org_raw: dict[str, Any]) -> None:
    # CreateAccount takes 6 to 64 characters: a long key with a long domain overflows.
    long_key = "workloads-analytics-sandbox-eu-central"
    raw = with_pattern(org_raw, "aws-landing-zone+{key}@mail.example.org")
    raw["accounts"].append({"key": long_key, "name": "Analytics", "ou": "Sandbox"})
    address = f"aws-landing-zone+{long_key}@mail.example.org"
    assert error("org", raw) == (
        f"Pulumi.org.yaml: landing-zone:accounts[9].email: '{address}' (from emailPattern) has "
        f"{len(address)} characters; AWS accepts 6 to 64 (set it explicitly or shorten the pattern)"
    )
    # An explicit address that collides with a derived one.
    raw = copy.deepcopy(org_raw)
    raw["accounts"][3]["email"] = "AWS+idp-pre@example.com"
    assert error("org", raw) == (
        "Pulumi.org.yaml: landing-zone:accounts[3].email: duplicate e-mail 'AWS+idp-pre@example.com'"
    )
    # Identity Center users' addresses are unique too.
    raw = copy.deepcopy(org_raw)
    users = raw["identityCenter"]["users"]
    same = "aws+sso-sandbox@example.com"
    users.append({"userName": "ana", "givenName": "A", "familyName": "L", "email": same})
    assert error("org", raw) == (
        "Pulumi.org.yaml: landing-zone:identityCenter.users[1].email: duplicate e-mail "
        "'aws+sso-sandbox@example.com'"
    )


# --- Cognito domain prefix from the IdP account id ---------------------------------------------


@pytest.mark.parametrize(("stack", "idp"), [("pre", "idp-pre"), ("prod", "idp-prod")])
def test_the_domain_prefix_is_derived_from_the_idp_account(stack: str, idp: str) -> None:
    outputs = recorded_org_outputs()
    outputs["accounts"][idp] = "123456789012"
    recording = run_env_stack(stack, org_outputs=outputs)
    (domain,) = recording.of_type(DOMAIN)
    assert domain.inputs["domain"] == f"tasks-{stack}-123456789012"
    assert recording.outputs["hosted_ui_url"] == f"https://tasks-{stack}-123456789012.auth.us-east-1.amazoncognito.com"


def test_a_configured_domain_prefix_wins() -> None:
    raw = stack_values("pre")
    raw["cognito"] = {**raw["cognito"], "domainPrefix": "my-tasks-login"}
    (domain,) = run_env_stack("pre", raw).of_type(DOMAIN)
    assert domain.inputs["domain"] == "my-tasks-login"


def test_an_environment_name_that_breaks_the_derived_prefix_asks_for_one() -> None:
    raw = env_config("pre", environment="laws", identityAccount="idp-pre", workloadAccount="sandbox")
    assert error("pre", raw) == (
        "Pulumi.pre.yaml: landing-zone:cognito.domainPrefix: is not set, and the derived prefix "
        "'tasks-laws-<IdP account id>' contains 'aws', which Cognito reserves; set cognito.domainPrefix"
    )


def test_a_deploy_time_prefix_cognito_refuses_stops_the_program() -> None:
    settings = CognitoSettings.model_validate({})

    def program() -> dict[str, Any]:
        provider = aws.Provider("identity", region="us-east-1", allowed_account_ids=["222222222222"])
        idp = CognitoIdp(
            "test-idp",
            CognitoIdpArgs(settings=settings, environment="test", region="us-east-1",
                           domain_prefix=pulumi.Output.from_input("tasks-Test-1")),
            opts=pulumi.ResourceOptions(providers={"aws": provider}),
        )
        return {"hosted_ui_url": idp.hosted_ui_url}

    expected = r"^CognitoIdp test-idp: domain prefix 'tasks-Test-1' is not a valid Cognito domain prefix"
    with pytest.raises(pulumi.RunError, match=expected):
        simulate("test", program)


# --- plan lists what is derived -------------------------------------------------------------------


def derived_findings(stack_plan: plan.StackPlan) -> dict[str, str]:
    return {f.where: f.message for f in stack_plan.findings if f.check == "derived" and f.severity == INFO}


def test_plan_shows_each_derived_value_with_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    report = plan.run_plan(root=FIXTURE_STACKS, policies=False)
    assert report.ok  # information, never a failure
    org_plan, _cicd, pre, prod = report.plans
    found = derived_findings(org_plan)
    assert found["Pulumi.org.yaml: landing-zone:managementAccountId"].startswith(
        "at deploy time, from the caller identity (STS GetCallerIdentity)"
    )
    assert found["Pulumi.org.yaml: landing-zone:managementAccountId"].endswith("plan uses 111111111111")
    assert found["Pulumi.org.yaml: landing-zone:organization.importId"].startswith(
        "at deploy time, from the caller's organization"
    )
    assert found["Pulumi.org.yaml: landing-zone:accounts[1].email"] == (
        "aws+idp-pre@example.com (from emailPattern)"
    )
    assert found["Pulumi.org.yaml: landing-zone:accounts[0].budget.notify"] == (
        "aws+billing@example.com (from emailPattern)"
    )
    assert found["Pulumi.org.yaml: landing-zone:identityCenter.users[0].email"] == (
        "aws+sso-sandbox@example.com (from emailPattern)"
    )
    idp_pre = org_plan.recording.outputs["accounts"]["idp-pre"] if org_plan.recording else None
    assert derived_findings(pre) == {
        "Pulumi.pre.yaml: landing-zone:cognito.domainPrefix": (
            f"tasks-pre-<IdP account id>; under mocks tasks-pre-{idp_pre} (from the IdP account id)"
        )
    }
    assert list(derived_findings(prod)) == ["Pulumi.prod.yaml: landing-zone:cognito.domainPrefix"]
    text = "\n".join(plan.render_stack(org_plan, tree=False))
    assert "  info  derived: Pulumi.org.yaml: landing-zone:accounts[0].email: aws+sandbox@example.com" in text


def test_plan_leaves_out_what_the_stack_file_sets(tmp_path: Path) -> None:
    root = stack_root(
        tmp_path,
        org={"managementAccountId": "210987654321", "organization": {"importId": "o-abcdefghij"}},
        pre={"cognito": {"domainPrefix": "my-tasks-login"}},
    )
    org_plan, pre, _ = plan.run_plan(root=root, policies=False).plans
    found = derived_findings(org_plan)
    assert not any(key.endswith(("managementAccountId", "importId")) for key in found)
    assert "Pulumi.org.yaml: landing-zone:accounts[0].email" in found
    assert derived_findings(pre) == {}
    # The pinned id is the one the program uses.
    assert org_plan.recording is not None
    assert org_plan.recording.outputs["management_account_id"] == "210987654321"


def test_the_org_program_offline_uses_the_mocks_management_account() -> None:
    recording = run_stack("org")
    provider = recording.one("pulumi:providers:aws", "management")
    assert provider.provider_setting("allowedAccountIds") == ["111111111111"]
