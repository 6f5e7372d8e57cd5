"""The cicd stack: its config checks, what it declares where, and its trust policies asserted exactly and
evaluated (tests/iam_trust_evaluator.py): the wrong repository, branch or audience and cross-environment
assumption are denied, the right caller is allowed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components import config
from components.settings.cicd_names import ci_role_name, deploy_external_id, deploy_role_name
from deploy.simulate import RecordedResource, Recording
from tests import iam_trust_evaluator as iam
from tests.configs import FIXTURE_STACKS, stack_values
from tests.conftest import recorded_org_outputs, run_stack

ROLE = "aws:iam/role:Role"
ISSUER = "token.actions.githubusercontent.com"
REPO = "repo:example-org/landing-zone"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"


@pytest.fixture(scope="module")
def org_outputs() -> dict[str, Any]:
    return recorded_org_outputs()


@pytest.fixture(scope="module")
def recording(org_outputs: dict[str, Any]) -> Recording:
    raw = stack_values("cicd")
    return run_stack("cicd", raw, stack_outputs={raw["orgStack"]: org_outputs})


def cicd_raw() -> dict[str, Any]:
    return stack_values("cicd")  # the frozen copy (a new dict per call)


def error_of(raw: dict[str, Any]) -> str:
    with pytest.raises(config.ConfigError) as raised:
        config.load("cicd", raw)
    return str(raised.value)


def role(recording: Recording, name: str, account_id: str) -> RecordedResource:
    [found] = [r for r in recording.of_type(ROLE)
               if r.inputs["name"] == name and account_of(recording, r) == account_id]
    return found


def account_of(recording: Recording, resource: RecordedResource) -> str:
    """The one account id the resource's explicit provider is pinned to."""
    [provider] = [p for p in recording.resources
                  if p.is_provider and (resource.provider or "").split("::")[:4] == p.urn.split("::")[:4]]
    [allowed] = provider.provider_setting("allowedAccountIds")
    return str(allowed)


def trust(resource: RecordedResource) -> dict[str, Any]:
    return json.loads(resource.inputs["assumeRolePolicy"])


# --- what is declared where ---------------------------------------------------------------------------


def test_each_ci_account_gets_one_oidc_provider_and_its_environments_ci_role(
    recording: Recording, org_outputs: dict[str, Any]
) -> None:
    ids = org_outputs["accounts"]
    providers = recording.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert {account_of(recording, p) for p in providers} == {ids["deployments-sdlc"], ids["deployments-prod"]}
    for provider in providers:
        assert provider.inputs["url"] == f"https://{ISSUER}"
        assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
        assert "thumbprintLists" not in provider.inputs  # AWS trusts GitHub's CA itself
    assert role(recording, ci_role_name("pre"), ids["deployments-sdlc"])
    assert role(recording, ci_role_name("prod"), ids["deployments-prod"])
    deploy = {(r.inputs["name"], account_of(recording, r)) for r in recording.of_type(ROLE)
              if r.inputs["name"].startswith("landing-zone-deploy-")}
    assert deploy == {
        (deploy_role_name("pre"), ids["idp-pre"]), (deploy_role_name("pre"), ids["sandbox"]),
        (deploy_role_name("prod"), ids["idp-prod"]), (deploy_role_name("prod"), ids["workloads-prod"]),
    }


def test_the_ci_trust_policies_pin_audience_and_subject_exactly(
    recording: Recording, org_outputs: dict[str, Any]
) -> None:
    ids = org_outputs["accounts"]
    pre = role(recording, ci_role_name("pre"), ids["deployments-sdlc"])
    assert trust(pre) == {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CiWebIdentity", "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ids['deployments-sdlc']}:oidc-provider/{ISSUER}"},
            "Action": WEB_IDENTITY,
            "Condition": {"StringEquals": {
                f"{ISSUER}:aud": "sts.amazonaws.com",
                f"{ISSUER}:sub": [f"{REPO}:ref:refs/heads/main", f"{REPO}:pull_request"],
            }},
        }],
    }
    prod = role(recording, ci_role_name("prod"), ids["deployments-prod"])
    assert trust(prod)["Statement"][0]["Condition"] == {"StringEquals": {
        f"{ISSUER}:aud": "sts.amazonaws.com", f"{ISSUER}:sub": f"{REPO}:environment:production",
    }}


def test_the_deploy_role_trust_policies_name_only_their_ci_role_and_external_id(
    recording: Recording, org_outputs: dict[str, Any]
) -> None:
    ids = org_outputs["accounts"]
    for environment, ci_account, target in (("pre", "deployments-sdlc", "sandbox"),
                                            ("prod", "deployments-prod", "workloads-prod")):
        deploy = role(recording, deploy_role_name(environment), ids[target])
        assert trust(deploy) == {
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "EnvironmentCiRole", "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ids[ci_account]}:role/{ci_role_name(environment)}"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": f"landing-zone-{environment}"}},
            }],
        }
        assert deploy.inputs["permissionsBoundary"]  # bounded (iam_documents/cicd.py deploy_boundary)


# --- evaluated ----------------------------------------------------------------------------------------


def _web_identity(recording: Recording, ids: dict[str, str], environment: str, account: str,
                  sub: str, aud: str = "sts.amazonaws.com") -> bool:
    policy = trust(role(recording, ci_role_name(environment), ids[account]))
    provider = ("Federated", f"arn:aws:iam::{ids[account]}:oidc-provider/{ISSUER}")
    return iam.allows(policy, principal=provider, action=WEB_IDENTITY,
                      context={f"{ISSUER}:sub": sub, f"{ISSUER}:aud": aud})


@pytest.mark.parametrize(("environment", "sub", "aud", "allowed"), [
    ("pre", f"{REPO}:ref:refs/heads/main", "sts.amazonaws.com", True),
    ("pre", f"{REPO}:pull_request", "sts.amazonaws.com", True),
    ("pre", f"{REPO}:ref:refs/heads/feature", "sts.amazonaws.com", False),  # another branch
    ("pre", "repo:someone-else/landing-zone:ref:refs/heads/main", "sts.amazonaws.com", False),  # a fork
    ("pre", f"{REPO}-copy:ref:refs/heads/main", "sts.amazonaws.com", False),  # a similar repository
    ("pre", f"{REPO}:ref:refs/heads/main", "api://other", False),  # a token for another audience
    ("prod", f"{REPO}:environment:production", "sts.amazonaws.com", True),
    ("prod", f"{REPO}:ref:refs/heads/main", "sts.amazonaws.com", False),  # main, but not the environment
    ("prod", f"{REPO}:pull_request", "sts.amazonaws.com", False),
    ("prod", f"{REPO}:environment:staging", "sts.amazonaws.com", False),
])
def test_ci_roles_admit_only_their_repository_and_branch_or_environment(
    recording: Recording, org_outputs: dict[str, Any], environment: str, sub: str, aud: str, allowed: bool
) -> None:
    account = "deployments-sdlc" if environment == "pre" else "deployments-prod"
    assert _web_identity(recording, org_outputs["accounts"], environment, account, sub, aud) is allowed


@pytest.mark.parametrize(("caller", "target_environment", "target", "external_id", "allowed"), [
    ("pre", "pre", "sandbox", "landing-zone-pre", True),
    ("pre", "pre", "idp-pre", "landing-zone-pre", True),
    ("prod", "prod", "workloads-prod", "landing-zone-prod", True),
    ("prod", "pre", "sandbox", "landing-zone-pre", False),  # prod's CI -> pre's role
    ("prod", "pre", "idp-pre", "landing-zone-prod", False),
    ("pre", "prod", "workloads-prod", "landing-zone-prod", False),  # pre's CI -> prod's role
    ("pre", "prod", "idp-prod", "landing-zone-pre", False),
    ("pre", "pre", "sandbox", "landing-zone-prod", False),  # the wrong external id
    ("pre", "pre", "sandbox", None, False),  # no external id
])
def test_deploy_roles_admit_only_their_environments_ci_role(
    recording: Recording, org_outputs: dict[str, Any], caller: str, target_environment: str, target: str,
    external_id: str | None, allowed: bool,
) -> None:
    ids = org_outputs["accounts"]
    ci_account = ids["deployments-sdlc" if caller == "pre" else "deployments-prod"]
    caller_arn = f"arn:aws:iam::{ci_account}:role/{ci_role_name(caller)}"
    policy = trust(role(recording, deploy_role_name(target_environment), ids[target]))
    context = {} if external_id is None else {"sts:ExternalId": external_id}
    assert iam.allows(policy, principal=("AWS", caller_arn), action="sts:AssumeRole",
                      context=context) is allowed
    # The account root of the CI account is no principal here either.
    root = ("AWS", f"arn:aws:iam::{ci_account}:root")
    assert not iam.allows(policy, principal=root, action="sts:AssumeRole",
                          context={"sts:ExternalId": deploy_external_id(target_environment)})


def test_the_evaluator_refuses_an_operator_it_does_not_know() -> None:
    policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "a"}, "Action": "sts:AssumeRole",
                             "Condition": {"StringNotEquals": {"k": "v"}}}]}
    with pytest.raises(NotImplementedError):
        iam.allows(policy, principal=("AWS", "a"), action="sts:AssumeRole", context={"k": "v"})


def test_ci_roles_may_assume_only_their_own_environments_deploy_roles(
    recording: Recording, org_outputs: dict[str, Any]
) -> None:
    ids = org_outputs["accounts"]
    policies = {r.name: json.loads(r.inputs["policy"])
                for r in recording.of_type("aws:iam/rolePolicy:RolePolicy")}
    assumable = {name: next(s["Resource"] for s in doc["Statement"] if s["Action"] == "sts:AssumeRole")
                 for name, doc in policies.items()}
    assert assumable == {
        "ci-pre-permissions": sorted(f"arn:aws:iam::{ids[t]}:role/{deploy_role_name('pre')}"
                                     for t in ("idp-pre", "sandbox")),
        "ci-prod-permissions": sorted(f"arn:aws:iam::{ids[t]}:role/{deploy_role_name('prod')}"
                                      for t in ("idp-prod", "workloads-prod")),
    }
    state = ids["deployments-prod"]
    bucket = f"pulumi-state-{state}-us-east-1"
    statements = {s["Sid"]: s for s in policies["ci-pre-permissions"]["Statement"]}
    assert statements["StateObjects"]["Resource"] == f"arn:aws:s3:::{bucket}/*"
    assert statements["SecretsProviderKey"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/pulumi-state"}
    }


# --- config: one line naming the file and key ------------------------------------------------------------


def _environment(raw: dict[str, Any], index: int) -> dict[str, Any]:
    environments: list[dict[str, Any]] = raw["ci"]["environments"]
    return environments[index]


@pytest.mark.parametrize(("change", "message"), [
    (lambda raw: _environment(raw, 0)["subjects"].__setitem__(0, "repo:example-org/*:ref:refs/heads/main"),
     "landing-zone:ci.environments[0].subjects[0]: 'repo:example-org/*:ref:refs/heads/main' has a wildcard "
     "in the repository"),
    (lambda raw: _environment(raw, 0)["subjects"].__setitem__(0, "repo:*:ref:refs/heads/main"),
     "landing-zone:ci.environments[0].subjects[0]: 'repo:*:ref:refs/heads/main' is not <claim>:<owner>/"),
    (lambda raw: _environment(raw, 0).__setitem__("subjects", []),
     "landing-zone:ci.environments[0].subjects: lists no subject"),
    (lambda raw: raw["ci"]["provider"].__setitem__("audience", " "),
     "landing-zone:ci.provider.audience: is required"),
    (lambda raw: raw["ci"]["provider"].__setitem__("issuer", "http://token.example.net"),
     "landing-zone:ci.provider.issuer: 'http://token.example.net' is not an https:// URL"),
    (lambda raw: _environment(raw, 1)["subjects"].__setitem__(0, f"{REPO}:ref:refs/heads/main"),
     f"landing-zone:ci.environments[1].subjects[0]: '{REPO}:ref:refs/heads/main' is not an environment "
     "subject"),
    (lambda raw: _environment(raw, 1)["targets"].append("sandbox"),
     "landing-zone:ci.environments[1].targets[2]: account 'sandbox' is already a target of environment "
     "'pre'"),
    (lambda raw: _environment(raw, 0).__setitem__("ciAccount", "deployments-prod"),
     "landing-zone:ci.environments[1].ciAccount: production's CI account 'deployments-prod' also "
     "serves pre"),
    (lambda raw: _environment(raw, 0).__setitem__("ciAccount", "sandbox"),
     "landing-zone:ci.environments[0].ciAccount: 'sandbox' is a target account too"),
    (lambda raw: _environment(raw, 0).__setitem__("name", "prod"),
     "landing-zone:ci.environments[0].subjects[0]: 'repo:example-org/landing-zone:ref:refs/heads/main' is "
     "not an environment subject"),
])
def test_bad_ci_config_is_one_line_naming_file_and_key(change: Any, message: str) -> None:
    raw = cicd_raw()
    change(raw)
    error = error_of(raw)
    assert error.startswith(f"Pulumi.cicd.yaml: {message}"), error
    assert "\n" not in error


def test_an_unknown_account_key_stops_the_program_before_anything_is_declared(
    org_outputs: dict[str, Any],
) -> None:
    raw = cicd_raw()
    _environment(raw, 0)["targets"] = ["idp-pre", "sandbx"]
    with pytest.raises(Exception, match=r"Pulumi.cicd.yaml: landing-zone:ci.environments\[0\].targets\[1\]: "
                                        r"unknown account key 'sandbx'"):
        run_stack("cicd", raw, stack_outputs={raw["orgStack"]: org_outputs})


# --- plan's cross-check against the other stack files (deploy/cicd_check.py) ---------------------------


def _context(raw: dict[str, Any], root: Path = FIXTURE_STACKS) -> Any:
    """The cicd stack's context beside the stack files at ``root`` (default: the frozen copies)."""
    from deploy.stack_checks import StackContext

    return StackContext("cicd", "Pulumi.cicd.yaml", {}, config.load("cicd", raw), None, root)


def test_plan_requires_each_environment_stacks_accounts_among_its_ci_targets() -> None:
    from deploy.cicd_check import check_cicd_targets

    assert [f for f in check_cicd_targets(_context(cicd_raw())) if f.is_error] == []
    raw = cicd_raw()
    _environment(raw, 0)["targets"] = ["idp-pre"]
    [finding] = check_cicd_targets(_context(raw))
    assert finding.is_error and str(finding) == (
        "Pulumi.cicd.yaml: landing-zone:ci.environments[0].targets: lacks 'sandbox', the workloadAccount of "
        "Pulumi.pre.yaml: CI could not assume a deploy role there"
    )


def test_plan_requires_the_org_stack_files_state_backend(tmp_path: Path) -> None:
    import shutil

    import yaml

    from deploy.cicd_check import check_cicd_targets

    for path in FIXTURE_STACKS.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    org = yaml.safe_load((tmp_path / "Pulumi.org.yaml").read_text())
    backend = {"account": "deployments-prod", "keyAlias": "alias/team-state"}
    org["config"]["landing-zone:stateBackend"] = backend
    (tmp_path / "Pulumi.org.yaml").write_text(yaml.safe_dump(org))
    [finding] = [f for f in check_cicd_targets(_context(cicd_raw(), tmp_path)) if f.is_error]
    assert finding.where == "Pulumi.cicd.yaml: landing-zone:ci.stateBackend.keyAlias"
    expected = ("'alias/pulumi-state' differs from Pulumi.org.yaml's stateBackend.keyAlias "
                "('alias/team-state')")
    assert expected in finding.message
