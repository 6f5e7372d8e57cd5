"""The org stack's landing zone, run as a whole program from Pulumi.org.yaml under mocks."""

from __future__ import annotations

import json

from components.settings.landing_zone import DEFAULT_OUS
from deploy.simulate import Recording
from tests.conftest import recorded_org_outputs, run_stack

ORG = "aws:organizations/organization:Organization"
OU = "aws:organizations/organizationalUnit:OrganizationalUnit"
ACCOUNT = "aws:organizations/account:Account"
POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
BUDGET = "aws:budgets/budget:Budget"


def ou_paths_by_id(recording: Recording) -> dict[str, str]:
    """OU id -> path, rebuilt from the recorded parent ids (not from names the program chose)."""
    root_id = recording.one(ORG).outputs["roots"][0]["id"]
    ous = {ou.id: ou for ou in recording.of_type(OU)}
    paths: dict[str, str] = {}

    def path(ou_id: str) -> str:
        ou = ous[ou_id]
        parent = ou.inputs["parentId"]
        name = ou.inputs["name"]
        return name if parent == root_id else f"{path(parent)}/{name}"

    for ou_id in ous:
        paths[ou_id] = path(ou_id)
    return paths


def attachments(recording: Recording) -> dict[str, set[str]]:
    """Policy name -> OU paths it is attached to."""
    paths = ou_paths_by_id(recording)
    policies = {p.id: p.inputs["name"] for p in recording.of_type(POLICY)}
    result: dict[str, set[str]] = {}
    for attachment in recording.of_type(ATTACHMENT):
        result.setdefault(policies[attachment.inputs["policyId"]], set()).add(
            paths[attachment.inputs["targetId"]]
        )
    return result


def test_organization_enables_scps_and_is_protected(org_recording: Recording) -> None:
    organization = org_recording.one(ORG)
    assert organization.inputs["featureSet"] == "ALL"
    # SCPs, and S3 policies for the security stack's baseline (S3 Block Public Access on the root).
    assert organization.inputs["enabledPolicyTypes"] == ["SERVICE_CONTROL_POLICY", "S3_POLICY"]
    # Identity Center's trusted access and the security stack's (its delegated services, trail, StackSets).
    assert organization.inputs["awsServiceAccessPrincipals"] == [
        "sso.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "guardduty.amazonaws.com",
        "securityhub.amazonaws.com",
        "access-analyzer.amazonaws.com",
        "member.org.stacksets.cloudformation.amazonaws.com",
        "config.amazonaws.com",
        "config-multiaccountsetup.amazonaws.com",
    ]
    assert organization.protect
    assert organization.import_id is None


def test_ou_tree_is_the_seeds(org_recording: Recording) -> None:
    assert sorted(ou_paths_by_id(org_recording).values()) == sorted(DEFAULT_OUS)


def test_every_account_is_in_its_ou_and_protected(org_recording: Recording) -> None:
    paths = ou_paths_by_id(org_recording)
    placed = {a.inputs["name"]: paths[a.inputs["parentId"]] for a in org_recording.of_type(ACCOUNT)}
    assert placed == {
        "Sandbox": "Sandbox",
        "IdP-Pre": "Security",
        "IdP-Prod": "Security",
        "LogArchive": "Security",
        "SecurityTooling": "Security",
        "Workloads-SDLC": "Workloads/SDLC",
        "Workloads-Prod": "Workloads/Prod",
        "Deployments-SDLC": "Deployments/SDLC",
        "Deployments-Prod": "Deployments/Prod",
    }
    for account in org_recording.of_type(ACCOUNT):
        assert account.protect, account.name
        assert account.inputs["roleName"] == "OrganizationAccountAccessRole"
        assert account.inputs["closeOnDeletion"] is False
        # AWS cannot read these back; without ignore_changes a refresh would plan a replacement.
        assert set(account.ignore_changes) >= {"roleName", "iamUserAccessToBilling"}


def test_scps_attached_exactly_where_configured(org_recording: Recording) -> None:
    assert attachments(org_recording) == {
        "landing-zone-guardrails": {"Security", "Sandbox", "Deployments", "Workloads"},
        "landing-zone-quarantine": {"Suspended"},
    }


def test_scp_content_is_minified_and_within_the_limit(org_recording: Recording) -> None:
    for policy in org_recording.of_type(POLICY):
        content = policy.inputs["content"]
        assert policy.inputs["type"] == "SERVICE_CONTROL_POLICY"
        assert content == json.dumps(json.loads(content), separators=(",", ":"))
        assert len(content) <= 5120
        # Created only after the organization has the policy type enabled.
        assert org_recording.one(ORG).urn in policy.dependencies


def test_guardrails_carry_the_seeds_deny_list(org_recording: Recording) -> None:
    policy = org_recording.one(POLICY, "landing-zone-scp-landing-zone-guardrails")
    document = json.loads(policy.inputs["content"])
    denied = {
        action
        for statement in document["Statement"]
        if statement["Effect"] == "Deny"
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert {"organizations:LeaveOrganization", "cloudwatch:PutMetricAlarm", "config:DeleteConfigRule",
            "guardduty:DeleteDetector", "ram:CreateResourceShare", "ec2:CreateVpcPeeringConnection",
            "globalaccelerator:Create*"} <= denied
    assert sum(1 for s in document["Statement"] if s["Effect"] == "Deny" and s["Action"] and
               "guardduty:UpdateThreatIntelSet" in s["Action"]) == 1
    assert document["Statement"][0] == {"Sid": "AllowsAllActions", "Effect": "Allow", "Action": "*",
                                        "Resource": "*"}


def test_quarantine_denies_everything_but_the_access_role(org_recording: Recording) -> None:
    policy = org_recording.one(POLICY, "landing-zone-scp-landing-zone-quarantine")
    (statement,) = json.loads(policy.inputs["content"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "*" and statement["Resource"] == "*"
    assert statement["Condition"] == {
        "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}
    }


def test_sandbox_budget_filters_its_account_and_notifies(org_recording: Recording) -> None:
    sandbox = next(a for a in org_recording.of_type(ACCOUNT) if a.inputs["name"] == "Sandbox")
    (budget,) = org_recording.of_type(BUDGET)
    assert budget.inputs["budgetType"] == "COST"
    assert budget.inputs["timeUnit"] == "MONTHLY"
    assert budget.inputs["limitAmount"] == "50" and budget.inputs["limitUnit"] == "USD"
    assert budget.inputs["costFilters"] == [{"name": "LinkedAccount", "values": [sandbox.id]}]
    notifications = {(n["notificationType"], n["threshold"]) for n in budget.inputs["notifications"]}
    assert notifications == {("ACTUAL", 80), ("FORECASTED", 100)}
    for notification in budget.inputs["notifications"]:
        # From the stack file's emailPattern, {key} = billing.
        assert notification["subscriberEmailAddresses"] == ["aws+billing@example.com"]
    # Budgets live in the management account, as the organization does.
    assert budget.provider == org_recording.one(ORG).provider


def test_everything_uses_the_pinned_management_provider(org_recording: Recording) -> None:
    for resource in org_recording.custom_resources:
        provider = org_recording.provider_of(resource)
        assert provider is not None, resource.name
        assert provider.provider_setting("allowedAccountIds") == ["111111111111"]


def test_exports(org_recording: Recording) -> None:
    accounts = {a.inputs["name"]: a.id for a in org_recording.of_type(ACCOUNT)}
    assert org_recording.outputs["accounts"]["sandbox"] == accounts["Sandbox"]
    assert org_recording.outputs["accounts"]["idp-pre"] == accounts["IdP-Pre"]
    assert set(org_recording.outputs["accounts"]) == {
        "sandbox", "idp-pre", "idp-prod", "log-archive", "security-tooling", "workloads-sdlc",
        "workloads-prod", "deployments-sdlc", "deployments-prod"}
    paths = ou_paths_by_id(org_recording)
    assert {path: ou_id for ou_id, path in paths.items()} == org_recording.outputs["organizational_units"]


def test_exports_the_organization_and_its_root_for_the_security_stack(org_recording: Recording) -> None:
    organization = org_recording.one(ORG)
    outputs = org_recording.outputs
    assert outputs["organization_id"] == organization.id == "o-exampleorg1"  # the mocks' id
    assert outputs["root_id"] == organization.outputs["roots"][0]["id"] == "r-exmp"
    # The same root the top-level OUs hang from.
    security = next(ou for ou in org_recording.of_type(OU) if ou.inputs["name"] == "Security")
    assert security.inputs["parentId"] == outputs["root_id"]
    # The frozen outputs the other stacks' tests read carry them too.
    recorded = recorded_org_outputs()
    assert (recorded["organization_id"], recorded["root_id"]) == ("o-exampleorg1", "r-exmp")


def test_adopting_an_existing_organization_and_account(org_raw: dict) -> None:
    raw = {**org_raw, "organization": {"importId": "o-abcdefghij"}}
    raw["accounts"] = [{**org_raw["accounts"][0], "importId": "222222222222"}, *org_raw["accounts"][1:]]
    recording = run_stack("org", raw)
    assert recording.one(ORG).import_id == "o-abcdefghij"
    sandbox = next(a for a in recording.of_type(ACCOUNT) if a.inputs["name"] == "Sandbox")
    assert sandbox.import_id == "222222222222"


def test_suspended_account_is_tagged_and_quarantined(org_raw: dict) -> None:
    raw = dict(org_raw)
    raw["accounts"] = [
        *org_raw["accounts"],
        {"key": "old", "name": "Old", "email": "aws-old@example.com", "ou": "Suspended",
         "suspension": {"by": "ops@example.com", "date": "2026-11-01", "reason": "project closed"}},
    ]
    raw["accountQuota"] = 11  # the frozen config fills AWS's default 10
    recording = run_stack("org", raw)
    old = next(a for a in recording.of_type(ACCOUNT) if a.inputs["name"] == "Old")
    assert ou_paths_by_id(recording)[old.inputs["parentId"]] == "Suspended"
    assert old.inputs["tags"] == {"SuspendedBy": "ops@example.com", "SuspendedOn": "2026-11-01",
                                  "SuspendedReason": "project closed"}


def test_scp_placement_is_configurable(org_raw: dict) -> None:
    raw = {**org_raw, "serviceControlPolicies": [
        {"name": "guardrails", "file": "guardrails.json", "targets": ["Workloads/Prod", "Sandbox"]},
    ]}
    assert attachments(run_stack("org", raw)) == {"guardrails": {"Workloads/Prod", "Sandbox"}}


def test_close_on_deletion_only_when_configured(org_raw: dict) -> None:
    raw = dict(org_raw)
    raw["accounts"] = [{**org_raw["accounts"][0], "closeOnDeletion": True}, *org_raw["accounts"][1:]]
    recording = run_stack("org", raw)
    flags = {a.inputs["name"]: a.inputs["closeOnDeletion"] for a in recording.of_type(ACCOUNT)}
    assert flags["Sandbox"] is True
    assert not any(flag for name, flag in flags.items() if name != "Sandbox")
