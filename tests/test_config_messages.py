"""Each org-stack config error, asserted as the whole line a user reads: stack file, key and problem.

Written against mutation survivors (scripts/mutation_score.py): each test here failed on a mutant of
components/config.py or components/stack_files.py that the other tests let through.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, get_args

import botocore.session
import pytest

from components import config, stack_files
from components.settings.landing_zone import (
    DEFAULT_OUS,
    IDENTITY_CENTER_PRINCIPAL,
    SECURITY_STACK_PRINCIPALS,
    OrganizationSettings,
    PolicyType,
)
from tests.configs import stack_values


def org_error(raw: dict[str, Any], source: str | None = None) -> str:
    with pytest.raises(config.ConfigError) as caught:
        config.load("org", raw, source)
    return str(caught.value)


def member(**fields: Any) -> dict[str, Any]:
    return {"key": "extra", "name": "Extra", "email": "aws-extra@example.com", "ou": "Sandbox", **fields}


def with_accounts(raw: dict[str, Any], *extra: dict[str, Any]) -> dict[str, Any]:
    return {**raw, "accounts": [*raw["accounts"], *extra]}


@pytest.mark.parametrize("path", ["Sandbox/", "Bad|Name", "A//B"])
def test_an_ou_path_must_be_names_separated_by_slashes(org_raw: dict[str, Any], path: str) -> None:
    raw = {**org_raw, "organizationalUnits": [*DEFAULT_OUS, path]}
    assert org_error(raw) == (
        f"Pulumi.org.yaml: landing-zone:organizationalUnits[{len(DEFAULT_OUS)}]: "
        f"'{path}' is not a valid OU path (names separated by '/')"
    )


def test_ou_depth_stops_at_five_levels(org_raw: dict[str, Any]) -> None:
    five = ["A", "A/B", "A/B/C", "A/B/C/D", "A/B/C/D/E"]
    config.load("org", {**org_raw, "organizationalUnits": [*DEFAULT_OUS, *five]})
    raw = {**org_raw, "organizationalUnits": [*DEFAULT_OUS, *five, "A/B/C/D/E/F"]}
    assert org_error(raw) == (
        f"Pulumi.org.yaml: landing-zone:organizationalUnits[{len(DEFAULT_OUS) + 5}]: "
        "'A/B/C/D/E/F' is nested 6 levels deep; AWS allows 5"
    )


def test_a_parent_ou_comes_before_its_children(org_raw: dict[str, Any]) -> None:
    raw = {**org_raw, "organizationalUnits": [*DEFAULT_OUS, "Infra/Prod", "Infra"]}
    assert org_error(raw) == (
        f"Pulumi.org.yaml: landing-zone:organizationalUnits[{len(DEFAULT_OUS)}]: "
        "parent OU 'Infra' must be listed before 'Infra/Prod'"
    )


def test_the_suspended_ou_must_be_one_of_the_ous(org_raw: dict[str, Any]) -> None:
    assert org_error({**org_raw, "suspendedOu": "Quarantine"}) == (
        "Pulumi.org.yaml: landing-zone:suspendedOu: unknown OU path 'Quarantine'"
    )


def test_duplicate_keys_and_e_mails_name_the_later_account(org_raw: dict[str, Any]) -> None:
    count = len(org_raw["accounts"])
    assert org_error(with_accounts(org_raw, member(key="sandbox"))) == (
        f"Pulumi.org.yaml: landing-zone:accounts[{count}].key: duplicate account key 'sandbox'"
    )
    assert org_error(with_accounts(org_raw, member(email="AWS+Sandbox@example.com"))) == (
        f"Pulumi.org.yaml: landing-zone:accounts[{count}].email: duplicate e-mail 'AWS+Sandbox@example.com'"
    )
    two = with_accounts(org_raw, member(key="one", email="one@example.com"),
                        member(key="two", email="one@example.com"))
    assert org_error(two) == (
        f"Pulumi.org.yaml: landing-zone:accounts[{count + 1}].email: duplicate e-mail 'one@example.com'"
    )


def test_a_suspended_account_needs_who_when_and_why(org_raw: dict[str, Any]) -> None:
    count = len(org_raw["accounts"])
    assert org_error(with_accounts(org_raw, member(ou="Suspended"))) == (
        f"Pulumi.org.yaml: landing-zone:accounts[{count}].suspension: "
        "is required for an account in the Suspended OU (by, date, reason)"
    )


def test_the_management_account_is_not_a_member(org_raw: dict[str, Any]) -> None:
    raw = {**with_accounts(org_raw, member(importId="123456789012")), "managementAccountId": "123456789012"}
    assert org_error(raw) == (
        f"Pulumi.org.yaml: landing-zone:accounts[{len(org_raw['accounts'])}].importId: "
        "is the management account, not a member"
    )


def test_the_account_quota_counts_the_management_account(org_raw: dict[str, Any]) -> None:
    count = len(org_raw["accounts"])
    config.load("org", {**org_raw, "accountQuota": count + 1})
    assert org_error({**org_raw, "accountQuota": count}) == (
        f"Pulumi.org.yaml: landing-zone:accounts: {count} member accounts and the management account exceed"
        f" the organization's account quota of {count} (raise it with AWS, then set accountQuota)"
    )


def test_identity_center_needs_its_trusted_access(org_raw: dict[str, Any]) -> None:
    raw = {**org_raw, "organization": {"awsServiceAccessPrincipals": ["guardduty.amazonaws.com"]}}
    assert org_error(raw) == (
        "Pulumi.org.yaml: landing-zone:organization.awsServiceAccessPrincipals: must include "
        "sso.amazonaws.com: Identity Center needs the organization's trusted access"
    )


@pytest.mark.parametrize("left_out", SECURITY_STACK_PRINCIPALS)
def test_the_security_stacks_trusted_access_is_kept(org_raw: dict[str, Any], left_out: str) -> None:
    principals = [p for p in (IDENTITY_CENTER_PRINCIPAL, *SECURITY_STACK_PRINCIPALS) if p != left_out]
    config.load("org", {**org_raw, "organization": {"awsServiceAccessPrincipals": [*principals, left_out]}})
    assert org_error({**org_raw, "organization": {"awsServiceAccessPrincipals": principals}}) == (
        f"Pulumi.org.yaml: landing-zone:organization.awsServiceAccessPrincipals: must include {left_out}:"
        " the security stack's services need the organization's trusted access (the list is managed"
        " exactly; one left out is disabled on the next up)"
    )


def test_the_s3_policy_type_of_the_security_baseline_is_kept(org_raw: dict[str, Any]) -> None:
    assert org_error({**org_raw, "organization": {"enabledPolicyTypes": ["SERVICE_CONTROL_POLICY"]}}) == (
        "Pulumi.org.yaml: landing-zone:organization.enabledPolicyTypes: must include S3_POLICY: the security"
        " stack's baseline attaches an S3 organization policy to the root (disabling the type detaches it)"
    )


def test_the_default_policy_types_are_in_the_organizations_api_model() -> None:
    # botocore's organizations model (service-2.json, shape PolicyType) is AWS's list of policy types.
    model = botocore.session.get_session().get_service_model("organizations")
    allowed = set(model.shape_for("PolicyType").enum)
    assert set(get_args(PolicyType)) <= allowed
    assert set(OrganizationSettings().enabled_policy_types) == {"SERVICE_CONTROL_POLICY", "S3_POLICY"}


def test_the_default_principals_are_services_that_integrate_with_organizations() -> None:
    # moto keeps the AWS Organizations User Guide's list ("AWS services that you can use with AWS
    # Organizations", orgs_integrate_services_list.html) and refuses EnableAWSServiceAccess for others: a
    # misspelt principal would fail there as it fails on AWS ("unrecognized service principal").
    from moto.organizations.models import FakeServiceAccess

    defaults = OrganizationSettings().aws_service_access_principals
    assert set(defaults) == {IDENTITY_CENTER_PRINCIPAL, *SECURITY_STACK_PRINCIPALS}
    assert [p for p in defaults if p not in FakeServiceAccess.TRUSTED_SERVICES] == []


def test_scps_without_the_policy_type_are_refused_but_none_need_none(org_raw: dict[str, Any]) -> None:
    raw = {**org_raw, "organization": {"enabledPolicyTypes": ["S3_POLICY"]}, "serviceControlPolicies": []}
    settings = config.load("org", raw)
    assert isinstance(settings, config.OrgConfig) and settings.resolved.service_control_policies == {}


def test_scp_targets_and_names_are_checked(org_raw: dict[str, Any]) -> None:
    scps = [{"name": "a", "file": "guardrails.json", "targets": ["Sandbox", "Nowhere"]}]
    assert org_error({**org_raw, "serviceControlPolicies": scps}) == (
        "Pulumi.org.yaml: landing-zone:serviceControlPolicies[0].targets[1]: unknown OU path 'Nowhere'"
    )
    twice = [{"name": "a", "file": "guardrails.json", "targets": ["Sandbox"]},
             {"name": "a", "file": "quarantine.json", "targets": ["Security"]}]
    assert org_error({**org_raw, "serviceControlPolicies": twice}) == (
        "Pulumi.org.yaml: landing-zone:serviceControlPolicies: duplicate policy name 'a'"
    )


def test_the_scp_quota_per_target_counts_full_aws_access(org_raw: dict[str, Any]) -> None:
    scps = [{"name": f"p{i}", "file": "guardrails.json", "targets": ["Sandbox"]} for i in range(2)]
    limits = {"maxPoliciesPerTarget": 3}
    config.load("org", {**org_raw, "serviceControlPolicies": scps, "scpLimits": limits})
    scps.append({"name": "p2", "file": "guardrails.json", "targets": ["Sandbox"]})
    assert org_error({**org_raw, "serviceControlPolicies": scps, "scpLimits": limits}) == (
        "Pulumi.org.yaml: landing-zone:serviceControlPolicies: "
        "OU 'Sandbox' would hold 4 SCPs with FullAWSAccess; the limit is 3"
    )


def test_an_scp_over_the_size_limit_names_the_key_and_the_file(org_raw: dict[str, Any]) -> None:
    scps = [{"name": "a", "file": "quarantine.json", "targets": ["Sandbox"]},
            {"name": "b", "file": "guardrails.json", "targets": ["Sandbox"]}]
    size = len(config.documents.minify(config.documents.load(
        config.documents.SCP_DIR / "guardrails.json", "scp", max_chars=5120).document))
    limits = {"maxDocumentChars": size - 1}
    assert org_error({**org_raw, "serviceControlPolicies": scps, "scpLimits": limits}) == (
        "Pulumi.org.yaml: landing-zone:serviceControlPolicies[1].file: iam_documents/scp/guardrails.json: "
        f"{size} characters as sent (minified), over the limit of {size - 1}"
    )


def test_the_quarantine_exemption_is_only_checked_on_the_suspended_ou(org_raw: dict[str, Any]) -> None:
    scps = [{"name": "q", "file": "quarantine.json", "targets": ["Sandbox"]}]
    raw = {**org_raw, "accessRoleName": "PlatformAdmin", "serviceControlPolicies": scps}
    settings = config.load("org", raw)
    assert isinstance(settings, config.OrgConfig) and set(settings.resolved.service_control_policies) == {"q"}


def test_schema_errors_name_the_nested_key_and_say_what_is_wrong(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    del raw["accounts"][1]["name"]
    assert org_error(raw) == "Pulumi.org.yaml: landing-zone:accounts[1].name: is required"
    raw = copy.deepcopy(org_raw)
    raw["accounts"][0]["budgett"] = {}
    assert org_error(raw) == (
        "Pulumi.org.yaml: landing-zone:accounts[0].budgett: "
        "unknown key (check the spelling against Pulumi.yaml)"
    )
    assert org_error({**org_raw, "accountQuota": 0}) == (
        "Pulumi.org.yaml: landing-zone:accountQuota: Input should be greater than or equal to 1"
    )


def test_the_source_named_in_errors_can_be_given(org_raw: dict[str, Any]) -> None:
    assert org_error({**org_raw, "suspendedOu": "Nowhere"}, "elsewhere.yaml") == (
        "elsewhere.yaml: landing-zone:suspendedOu: unknown OU path 'Nowhere'"
    )


def test_a_stack_file_loads_from_the_given_root(tmp_path: Path) -> None:
    original = stack_files.PROJECT_ROOT / "Pulumi.org.yaml"
    (tmp_path / "Pulumi.org.yaml").write_text(
        original.read_text(encoding="utf-8").replace("aws+{key}@example.com", "ops+{key}@example.org"),
        encoding="utf-8",
    )
    settings = config.load_stack_file("org", tmp_path)
    assert isinstance(settings, config.OrgConfig)
    assert settings.accounts[0].email == "ops+sandbox@example.org"


def read_error(tmp_path: Path, content: bytes | None) -> str:
    if content is not None:
        (tmp_path / "Pulumi.pre.yaml").write_bytes(content)
    with pytest.raises(config.ConfigError) as caught:
        stack_files.read_stack_file_config("pre", tmp_path)
    return str(caught.value)


def test_stack_file_problems_are_whole_lines(tmp_path: Path) -> None:
    assert read_error(tmp_path, None) == f"Pulumi.pre.yaml: config: stack file not found in {tmp_path}"
    assert read_error(tmp_path, b"config:\n  a: 1\n  a: 2\n") == (
        "Pulumi.pre.yaml: config: invalid YAML: duplicate key 'a' (line 3; first on line 2)"
    )
    assert read_error(tmp_path, b"config:\n  tags: [a\n") == (
        "Pulumi.pre.yaml: config: invalid YAML: expected ',' or ']', but got '<stream end>' (line 3)"
    )
    not_a_mapping = "Pulumi.pre.yaml: config: must be a mapping of keys to values"
    assert read_error(tmp_path, b"config: [a]\n") == not_a_mapping


@pytest.mark.parametrize(
    ("content", "kind"),
    [(b"- a\n", "list"), (b"7\n", "number"), (b"1.5\n", "number"), (b"true\n", "boolean")],
)
def test_a_top_level_that_is_not_a_mapping_is_named_by_its_yaml_kind(
    tmp_path: Path, content: bytes, kind: str
) -> None:
    assert read_error(tmp_path, content) == (
        f"Pulumi.pre.yaml: config: the file must be a mapping with a 'config:' key, not a {kind}"
    )


def test_nested_mappings_are_read_whole(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.pre.yaml").write_bytes(b"config:\n  landing-zone:tags:\n    team: a\n    cost: b\n")
    assert stack_files.read_stack_file_config("pre", tmp_path) == {
        "landing-zone:tags": {"team": "a", "cost": "b"}
    }


def test_the_engine_sees_structured_values_as_json_text() -> None:
    assert stack_files.config_env("pre", {"region": "eu-west-1", "tags": {"team": "a"}, "count": 3}) == {
        "landing-zone:region": "eu-west-1",
        "landing-zone:tags": '{"team": "a"}',
        "landing-zone:count": "3",
    }


def test_a_validated_config_is_reused_only_for_the_same_stack(org_raw: dict[str, Any]) -> None:
    config.load("org", org_raw, "shared.yaml")
    # The same values and source for another stack are validated as that stack's, not recalled.
    with pytest.raises(config.ConfigError) as caught:
        config.load("pre", org_raw, "shared.yaml")
    assert str(caught.value).startswith("shared.yaml: ")


def test_environment_errors_name_their_own_stack_file() -> None:
    prod = stack_values("prod")
    prod["cognito"] = {**prod["cognito"], "deletionProtection": False}
    with pytest.raises(config.ConfigError) as caught:
        config.load("prod", prod)
    message = str(caught.value)
    assert message.startswith("Pulumi.prod.yaml: landing-zone:cognito.deletionProtection: cannot be")
    pre = stack_values("pre")
    pre["service"] = {**pre.get("service", {}), "cpu": 3}
    with pytest.raises(config.ConfigError) as caught:
        config.load("pre", pre)
    assert str(caught.value) == (
        "Pulumi.pre.yaml: landing-zone:service.cpu: 3 is not a Fargate cpu value "
        "([256, 512, 1024, 2048, 4096, 8192, 16384])"
    )


def test_user_e_mails_without_a_pattern_are_required_by_key(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    raw.pop("emailPattern")
    for index, entry in enumerate(raw["accounts"]):
        entry["email"] = f"member-{index}@example.com"
        if entry.get("budget"):
            entry["budget"]["notify"] = ["billing@example.com"]
    assert org_error(raw) == (
        "Pulumi.org.yaml: landing-zone:identityCenter.users[0].email: "
        "is required (or set landing-zone:emailPattern to derive it)"
    )
