"""Stack config validation: every mistake is one line naming the stack file and key, before any resource."""

from __future__ import annotations

import copy
import json
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components import config
from components.settings import derived
from components.settings.landing_zone import DEFAULT_OUS
from deploy.simulate import Recording, simulate
from iam_documents import documents

ROOT = Path(__file__).resolve().parent.parent


def org_error(raw: dict[str, Any]) -> str:
    with pytest.raises(config.ConfigError) as caught:
        config.load("org", raw)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Pulumi.org.yaml: landing-zone:")
    return message


def with_accounts(raw: dict[str, Any], *extra: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(raw)
    changed["accounts"] = [*changed["accounts"], *extra]
    return changed


def account(**fields: Any) -> dict[str, Any]:
    return {"key": "extra", "name": "Extra", "email": "aws-extra@example.com", "ou": "Sandbox", **fields}


def test_stack_file_is_valid(org_raw: dict[str, Any]) -> None:
    settings = config.load("org", org_raw)
    assert isinstance(settings, config.OrgConfig)
    assert settings.organizational_units == DEFAULT_OUS
    assert [a.key for a in settings.accounts][:3] == ["sandbox", "idp-pre", "idp-prod"]


def test_account_in_unknown_ou(org_raw: dict[str, Any]) -> None:
    message = org_error(with_accounts(org_raw, account(ou="Workloads/QA")))
    assert message == "Pulumi.org.yaml: landing-zone:accounts[9].ou: unknown OU path 'Workloads/QA'"


def test_duplicate_account_key(org_raw: dict[str, Any]) -> None:
    message = org_error(with_accounts(org_raw, account(key="sandbox")))
    assert "landing-zone:accounts[9].key: duplicate account key 'sandbox'" in message


def test_duplicate_email_ignores_case(org_raw: dict[str, Any]) -> None:
    message = org_error(with_accounts(org_raw, account(email="AWS+Sandbox@example.com")))
    assert "landing-zone:accounts[9].email: duplicate e-mail" in message


def test_malformed_email(org_raw: dict[str, Any]) -> None:
    message = org_error(with_accounts(org_raw, account(email="ops@")))
    assert message == "Pulumi.org.yaml: landing-zone:accounts[9].email: 'ops@' is not a valid e-mail address"


def test_ou_nesting_deeper_than_five(org_raw: dict[str, Any]) -> None:
    paths = ["A", "A/B", "A/B/C", "A/B/C/D", "A/B/C/D/E", "A/B/C/D/E/F"]
    raw = {**org_raw, "organizationalUnits": [*DEFAULT_OUS, *paths]}
    message = org_error(raw)
    assert "landing-zone:organizationalUnits[14]" in message and "5" in message


def test_ou_parent_must_be_declared(org_raw: dict[str, Any]) -> None:
    raw = {**org_raw, "organizationalUnits": [*DEFAULT_OUS, "Infrastructure/Prod"]}
    assert "parent OU 'Infrastructure' must be listed" in org_error(raw)


def test_duplicate_ou(org_raw: dict[str, Any]) -> None:
    raw = {**org_raw, "organizationalUnits": [*DEFAULT_OUS, "Sandbox"]}
    assert "duplicate OU path 'Sandbox'" in org_error(raw)


def test_missing_scp_file(org_raw: dict[str, Any]) -> None:
    raw = {**org_raw, "serviceControlPolicies": [{"name": "x", "file": "nope.json", "targets": ["Sandbox"]}]}
    message = org_error(raw)
    assert message == (
        "Pulumi.org.yaml: landing-zone:serviceControlPolicies[0].file: "
        "iam_documents/scp/nope.json: policy file not found"
    )


def test_scp_target_unknown(org_raw: dict[str, Any]) -> None:
    raw = {**org_raw, "serviceControlPolicies": [{"name": "x", "file": "guardrails.json",
                                                  "targets": ["Sandbox", "Nowhere"]}]}
    assert "serviceControlPolicies[0].targets[1]: unknown OU path 'Nowhere'" in org_error(raw)


def test_scp_size_limit_is_configurable(org_raw: dict[str, Any]) -> None:
    raw = {**org_raw, "scpLimits": {"maxDocumentChars": 1000}}
    message = org_error(raw)
    assert "iam_documents/scp/guardrails.json" in message and "over the limit of 1000" in message


def test_too_many_scps_on_one_target(org_raw: dict[str, Any]) -> None:
    # Four of ours plus FullAWSAccess on Sandbox: five is the quota.
    scps = [{"name": f"p{i}", "file": "guardrails.json", "targets": ["Sandbox"]} for i in range(4)]
    config.load("org", {**org_raw, "serviceControlPolicies": scps})
    scps.append({"name": "p4", "file": "guardrails.json", "targets": ["Sandbox"]})
    message = org_error({**org_raw, "serviceControlPolicies": scps})
    assert "'Sandbox' would hold 6 SCPs with FullAWSAccess; the limit is 5" in message


def test_suspended_account_needs_traceability(org_raw: dict[str, Any]) -> None:
    message = org_error(with_accounts(org_raw, account(ou="Suspended")))
    assert "landing-zone:accounts[9].suspension: is required" in message


def test_missing_and_unknown_keys(org_raw: dict[str, Any]) -> None:
    message = org_error({**org_raw, "acounts": []})
    assert message.startswith("Pulumi.org.yaml: landing-zone:acounts: unknown key")
    message = org_error({**org_raw, "managementAccountId": "12345"})
    assert "landing-zone:managementAccountId" in message


def test_bad_scp_grammar_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*", "Principal": "*"}]}))
    principal = r"bad\.json: Statement\[0\]: Principal is not allowed"
    with pytest.raises(documents.PolicyDocumentError, match=principal):
        documents.load(bad, "scp", max_chars=5120)
    bad.write_text("{not json")
    with pytest.raises(documents.PolicyDocumentError, match=r"bad\.json: invalid JSON at line 1"):
        documents.load(bad, "scp", max_chars=5120)


def test_policy_grammar() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    ok = {"Version": "2012-10-17", "Statement": statement}
    assert documents.grammar_errors(ok, "identity") == []
    assert documents.grammar_errors({**ok, "Version": "2008-10-17"}, "scp")
    assert documents.grammar_errors({**ok, "Id": "x"}, "scp") == ["unknown top-level element(s) Id"]
    bad_effect = {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}
    assert documents.grammar_errors(bad_effect, "scp") == ['Statement[0]: "Effect" must be "Allow" or "Deny"']
    both = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "NotAction": "s3:*", "Resource": "*"}]}
    assert any("exactly one of" in e for e in documents.grammar_errors(both, "scp"))


def test_unknown_actions_use_the_offline_catalogue() -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Resource": "*", "Action": [
        "guardduty:CreateDetector", "globalaccelerator:Create*", "s3:GetObjekt", "nosuch:Thing"]}]}
    assert documents.unknown_actions(document) == ["s3:GetObjekt", "nosuch:Thing"]


def run_main(raw: dict[str, Any], recording: Recording | None = None) -> Recording:
    """Run the real __main__.py under mocks with ``raw`` as the engine's config."""
    return simulate("org", lambda: runpy.run_path(str(ROOT / "__main__.py")) and {}, raw_config=raw,
                    recording=recording)


@pytest.fixture
def driver_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``python -m deploy`` hands the org program for a run (components/settings/derived.py)."""
    monkeypatch.setenv(derived.MANAGEMENT_ACCOUNT_ENV, "123456789012")


def test_main_builds_the_org_stack(org_raw: dict[str, Any], driver_env: None) -> None:
    recording = run_main(org_raw)
    assert recording.of_type("aws:organizations/organization:Organization")
    provider = recording.one("pulumi:providers:aws", "management")
    assert provider.provider_setting("allowedAccountIds") == ["123456789012"]


def test_main_never_guesses_the_management_account(
    org_raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain ``pulumi up -s org`` without the id in the stack file or from the driver: one line, nothing
    declared (offline runs use the mocks' id, the real program never does)."""
    monkeypatch.delenv(derived.MANAGEMENT_ACCOUNT_ENV, raising=False)
    assert "managementAccountId" not in org_raw
    recording = Recording(stack="org")
    expected = r"^Pulumi.org.yaml: landing-zone:managementAccountId: is not set: run `python -m deploy up`"
    with pytest.raises(pulumi.RunError, match=expected):
        run_main(org_raw, recording)
    assert recording.resources == []
    # A value in the stack file wins over the driver's.
    monkeypatch.setenv(derived.MANAGEMENT_ACCOUNT_ENV, "123456789012")
    recording = run_main({**org_raw, "managementAccountId": "210987654321"})
    provider = recording.one("pulumi:providers:aws", "management")
    assert provider.provider_setting("allowedAccountIds") == ["210987654321"]


def test_main_adopts_the_organization_the_driver_found(org_raw: dict[str, Any], driver_env: None,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(derived.ORGANIZATION_ID_ENV, "o-abcdefghij")
    organization = run_main(org_raw).one("aws:organizations/organization:Organization")
    assert organization.import_id == "o-abcdefghij"
    # organization.importId in the stack file wins.
    raw = {**org_raw, "organization": {"importId": "o-zzzzzzzzzz"}}
    assert run_main(raw).one("aws:organizations/organization:Organization").import_id == "o-zzzzzzzzzz"


def test_main_stops_on_bad_config_before_declaring_anything(
    org_raw: dict[str, Any], driver_env: None
) -> None:
    raw = with_accounts(org_raw, account(ou="Workloads/QA"))
    recording = Recording(stack="org")
    with pytest.raises(pulumi.RunError, match=r"^Pulumi.org.yaml: landing-zone:accounts\[9\].ou: unknown OU"):
        run_main(raw, recording)
    assert recording.resources == []
    # The same harness does see resources when the config is good.
    run_main(org_raw, recording)
    assert recording.resources


def test_quarantine_must_exempt_the_configured_access_role(org_raw: dict[str, Any]) -> None:
    message = org_error({**org_raw, "accessRoleName": "PlatformAdmin"})
    assert message == (
        "Pulumi.org.yaml: landing-zone:serviceControlPolicies[1].file: iam_documents/scp/quarantine.json"
        " exempts"
        " arn:aws:iam::*:role/OrganizationAccountAccessRole but not the access role 'PlatformAdmin'"
        " (accessRoleName) on the Suspended OU"
    )


def test_every_config_key_is_documented_in_pulumi_yaml() -> None:
    import yaml

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    documented = {key for key, spec in project["template"]["config"].items() if spec.get("description")}
    declared = {
        f"{config.PROJECT}:{field.alias or name}"
        for model in (config.OrgConfig, config.EnvConfig, config.CicdConfig, config.SecurityConfig)
        for name, field in model.model_fields.items()
    }
    assert declared == documented
    for stack in ("org", "cicd", "security", "pre", "prod"):
        used = {f"{config.PROJECT}:{key}" for key in config.read_stack_file(stack)}
        assert used <= documented, stack


def test_budget_recipients_must_be_e_mail_addresses(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    raw["accounts"][0]["budget"]["notify"] = ["aws-billing@example.com", "billing"]
    assert org_error(raw) == (
        "Pulumi.org.yaml: landing-zone:accounts[0].budget.notify[1]: 'billing' is not a valid e-mail address"
    )


def test_a_budget_e_mails_at_most_ten_recipients(org_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(org_raw)
    raw["accounts"][0]["budget"]["notify"] = [f"aws-billing-{n}@example.com" for n in range(10)]
    config.load("org", raw)
    raw["accounts"][0]["budget"]["notify"].append("aws-billing-10@example.com")
    message = org_error(raw)
    assert message.startswith("Pulumi.org.yaml: landing-zone:accounts[0].budget.notify: ")
    assert "at most 10" in message


def test_account_quota(org_raw: dict[str, Any]) -> None:
    # As shipped (issue 13: log-archive and security-tooling): 9 members + management = AWS's default 10.
    assert len(org_raw["accounts"]) == 9
    config.load("org", org_raw)
    eleventh = account(key="extra-1", email="aws-extra-1@example.com")
    assert org_error(with_accounts(org_raw, eleventh)) == (
        "Pulumi.org.yaml: landing-zone:accounts: 10 member accounts and the management account exceed"
        " the organization's account quota of 10 (raise it with AWS, then set accountQuota)"
    )
    config.load("org", {**with_accounts(org_raw, eleventh), "accountQuota": 11})


def test_enabled_policy_types_are_configurable_but_keep_scps(org_raw: dict[str, Any]) -> None:
    settings = config.load("org", {**org_raw, "organization": {
        "enabledPolicyTypes": ["SERVICE_CONTROL_POLICY", "S3_POLICY", "TAG_POLICY"]}})
    assert isinstance(settings, config.OrgConfig)
    assert settings.organization.enabled_policy_types == ("SERVICE_CONTROL_POLICY", "S3_POLICY", "TAG_POLICY")
    message = org_error({**org_raw, "organization": {"enabledPolicyTypes": ["S3_POLICY", "TAG_POLICY"]}})
    assert message == ("Pulumi.org.yaml: landing-zone:organization.enabledPolicyTypes: must include "
                       "SERVICE_CONTROL_POLICY while serviceControlPolicies are configured")
    assert "enabledPolicyTypes[0]" in org_error({**org_raw, "organization": {"enabledPolicyTypes": ["SCP"]}})
