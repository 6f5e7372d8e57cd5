"""Break-glass access (org stack): the users and their policies in the management account, the MFA deny
evaluated, the sign-in rule's pattern matched against sample CloudTrail events, the SNS wiring, and the
config's bad values."""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from components import config
from components.break_glass import require_mfa_policy
from components.settings.break_glass import BreakGlassSettings, check_break_glass, derive_alert_emails
from deploy.break_glass_check import check_break_glass_alerts
from deploy.simulate import RecordedResource, Recording
from deploy.stack_checks import ERROR, WARNING, StackContext
from tests.configs import FIXTURE_STACKS, SECURITY_FIXTURE, org_config
from tests.conftest import run_stack

MANAGEMENT = "111111111111"  # the offline management account id (components/settings/derived.py)
USER = "aws:iam/user:User"
GROUP = "aws:iam/group:Group"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
GROUP_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
MEMBERSHIP = "aws:iam/groupMembership:GroupMembership"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
COMPONENT = "landingzone:security:BreakGlass"
FORWARD_REGIONS = ["us-east-2", "eu-north-1", "ap-southeast-2"]


@pytest.fixture(scope="module")
def org() -> Recording:
    return run_stack("org", org_config(breakGlass={"alerts": {"forwardRegions": FORWARD_REGIONS}}))


def children(recording: Recording) -> list[RecordedResource]:
    component = recording.one(COMPONENT)
    return [r for r in recording.resources if r.parent == component.urn]


# --- users, group, policies --------------------------------------------------------------------


def test_every_break_glass_resource_is_in_the_management_account(org: Recording) -> None:
    resources = children(org)
    assert len(resources) >= 10
    for resource in resources:
        provider = org.provider_of(resource)
        assert provider is not None, resource.name
        assert provider.provider_setting("allowedAccountIds") == [MANAGEMENT], resource.name


def test_users_have_no_password_no_access_key_and_sit_in_the_mfa_group(org: Recording) -> None:
    users = {u.inputs["name"]: u for u in org.of_type(USER)}
    assert set(users) == {"breakglass-1", "breakglass-2"}
    for user in users.values():
        assert user.inputs["path"] == "/break-glass/" and user.inputs["forceDestroy"] is False
    # Nothing anywhere in the stack sets a password or makes a key.
    assert org.of_type("aws:iam/userLoginProfile:UserLoginProfile") == []
    assert org.of_type("aws:iam/accessKey:AccessKey") == []
    group = org.one(GROUP)
    assert group.inputs["name"] == "break-glass-administrators"
    [membership] = org.of_type(MEMBERSHIP)
    assert membership.inputs["group"] == group.inputs["name"]
    assert sorted(membership.inputs["users"]) == sorted(users)
    [admin] = org.of_type(GROUP_ATTACHMENT)
    assert admin.inputs == {**admin.inputs, "group": group.inputs["name"],
                            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    [inline] = org.of_type(GROUP_POLICY)
    assert inline.inputs["group"] == group.inputs["name"]
    assert inline.inputs["policy"] == require_mfa_policy().minified


def _action_matches(patterns: list[str], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns)


def denied(document: Mapping[str, Any], action: str, context: Mapping[str, str]) -> bool:
    """An explicit Deny of ``action`` on any resource, for the operators the MFA policy uses (IAM User
    Guide, "Condition operators": ...IfExists is true when the key is absent; Bool compares text)."""
    for statement in document["Statement"]:
        if statement["Effect"] != "Deny":
            continue
        if "NotAction" in statement and _action_matches(statement["NotAction"], action):
            continue
        if "Action" in statement and not _action_matches(statement["Action"], action):
            continue
        holds = True
        for operator, block in statement.get("Condition", {}).items():
            if operator not in ("Bool", "BoolIfExists"):
                raise NotImplementedError(operator)
            for key, expected in block.items():
                if key not in context:
                    holds = holds and operator == "BoolIfExists"
                else:
                    holds = holds and context[key].lower() == str(expected).lower()
        if holds:
            return True
    return False


@pytest.mark.parametrize(
    ("action", "context", "expected"),
    [
        ("s3:ListAllMyBuckets", {}, True),  # long-term credentials: the key is absent
        ("organizations:ListAccounts", {"aws:MultiFactorAuthPresent": "false"}, True),
        ("iam:CreateUser", {"aws:MultiFactorAuthPresent": "false"}, True),
        ("iam:EnableMFADevice", {"aws:MultiFactorAuthPresent": "false"}, False),  # enrol a device first
        ("iam:ChangePassword", {}, False),  # the first sign-in sets the password
        ("sts:GetSessionToken", {}, False),
        ("s3:ListAllMyBuckets", {"aws:MultiFactorAuthPresent": "true"}, False),
        ("iam:CreateUser", {"aws:MultiFactorAuthPresent": "true"}, False),
    ],
)
def test_the_mfa_policy_denies_everything_but_mfa_self_service_without_mfa(
    org: Recording, action: str, context: dict[str, str], expected: bool
) -> None:
    document = json.loads(org.one(GROUP_POLICY).inputs["policy"])
    assert denied(document, action, context) is expected


# --- the sign-in rule ---------------------------------------------------------------------------


def matches(pattern: Any, event: Any) -> bool:
    """EventBridge matching for what the rule uses: lists of exact values, nested objects, ``$or``
    (EventBridge User Guide, "Event patterns" and "Content filtering")."""
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(alternative, event) for alternative in expected):
                return False
        elif isinstance(expected, dict):
            if not isinstance(event.get(key), dict) or not matches(expected, event[key]):
                return False
        elif event.get(key) not in expected:
            return False
    return True


def sign_in(identity: dict[str, Any], detail_type: str = "AWS Console Sign In via CloudTrail"
            ) -> dict[str, Any]:
    """A console sign-in as EventBridge receives it (CloudTrail User Guide, sign-in event examples)."""
    return {
        "source": "aws.signin", "detail-type": detail_type, "account": MANAGEMENT, "region": "us-east-1",
        "detail": {"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
                   "userIdentity": {"accountId": MANAGEMENT, **identity},
                   "responseElements": {"ConsoleLogin": "Success"}},
    }


ROOT = {"type": "Root", "arn": f"arn:aws:iam::{MANAGEMENT}:root", "principalId": MANAGEMENT}


def user_identity(name: str, path: str = "/break-glass/") -> dict[str, Any]:
    return {"type": "IAMUser", "arn": f"arn:aws:iam::{MANAGEMENT}:user{path}{name}", "userName": name}


def test_the_rule_matches_root_and_break_glass_sign_ins_only(org: Recording) -> None:
    rule = org.one(RULE, "break-glass-sign-in")
    assert rule.inputs["region"] == "us-east-1"
    pattern = json.loads(rule.inputs["eventPattern"])
    assert matches(pattern, sign_in(ROOT))
    assert matches(pattern, sign_in(user_identity("breakglass-1")))
    assert matches(pattern, sign_in(user_identity("breakglass-2")))
    assert not matches(pattern, sign_in(user_identity("alice", "/")))
    assert not matches(pattern, sign_in({**ROOT, "type": "IAMUser", "userName": "breakglass-1"}) | {
        "source": "aws.iam"})  # another source
    assert not matches(pattern, sign_in(ROOT, detail_type="AWS API Call via CloudTrail"))
    # The names in the pattern are the users' own (user names are unique in an account, whatever the path).
    assert pattern["$or"][1]["detail"]["userIdentity"]["userName"] == sorted(
        u.inputs["name"] for u in org.of_type(USER)
    )
    assert not matches(pattern, sign_in({"type": "AssumedRole", "userName": "breakglass-1"}))


def test_the_rule_publishes_to_an_encrypted_topic_only_it_may_publish_to(org: Recording) -> None:
    rule, topic = org.one(RULE, "break-glass-sign-in"), org.one(TOPIC)
    key = org.one(KEY, "break-glass-alerts-key")
    [target] = [t for t in org.of_type(TARGET) if t.inputs["rule"] == rule.inputs["name"]
                and t.inputs["region"] == "us-east-1"]
    assert target.inputs["arn"] == topic.outputs["arn"]
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"] and topic.inputs["region"] == "us-east-1"
    assert key.inputs["enableKeyRotation"] is True
    key_statements = json.loads(key.inputs["policy"])["Statement"]
    events = [s for s in key_statements if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert [sorted(s["Action"]) for s in events] == [["kms:Decrypt", "kms:GenerateDataKey*"]]
    [policy] = org.of_type(TOPIC_POLICY)
    assert policy.inputs["arn"] == topic.outputs["arn"]
    [statement] = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sns:Publish" and statement["Resource"] == topic.outputs["arn"]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}
    subscriptions = org.of_type(SUBSCRIPTION)
    assert [(s.inputs["protocol"], s.inputs["endpoint"], s.inputs["topic"]) for s in subscriptions] == [
        ("email", "aws+security@example.com", topic.outputs["arn"])  # emailPattern, key `security`
    ]


def test_each_forwarding_region_sends_matching_sign_ins_to_us_east_1(org: Recording) -> None:
    home = org.one(RULE, "break-glass-sign-in")
    role = org.one("aws:iam/role:Role", "break-glass-forward-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "events.amazonaws.com"}]
    bus = f"arn:aws:events:us-east-1:{MANAGEMENT}:event-bus/default"
    [role_policy] = org.of_type("aws:iam/rolePolicy:RolePolicy")
    assert json.loads(role_policy.inputs["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus}
    ]
    for region in FORWARD_REGIONS:
        rule = org.one(RULE, f"break-glass-sign-in-{region}")
        assert rule.inputs["region"] == region and rule.inputs["eventPattern"] == home.inputs["eventPattern"]
        [target] = [t for t in org.of_type(TARGET) if t.inputs["region"] == region]
        assert (target.inputs["arn"], target.inputs["roleArn"]) == (bus, role.outputs["arn"])


def test_alerts_off_keeps_the_users_and_declares_no_alerting() -> None:
    recording = run_stack("org", org_config(breakGlass={"alerts": {"enabled": False, "emails": []}}))
    assert len(recording.of_type(USER)) == 2 and recording.of_type(GROUP_POLICY)
    for type_ in (RULE, TARGET, TOPIC, TOPIC_POLICY, SUBSCRIPTION):
        assert recording.of_type(type_) == [], type_
    assert recording.outputs["break_glass_alert_topic_arn"] is None


def test_the_shipped_default_has_no_forwarding_regions() -> None:
    recording = run_stack("org", org_config())  # the frozen file sets no breakGlass: the defaults
    assert [r.name for r in recording.of_type(RULE)] == ["break-glass-sign-in"]


# --- bad config ----------------------------------------------------------------------------------


def org_error(**break_glass: Any) -> str:
    with pytest.raises(config.ConfigError) as caught:
        config.load("org", org_config(breakGlass=break_glass))
    return str(caught.value)


def test_an_empty_alert_list_while_alerts_are_on_is_one_line_naming_file_and_key() -> None:
    assert org_error(alerts={"emails": []}) == (
        "Pulumi.org.yaml: landing-zone:breakGlass.alerts.emails: is empty while alerts are enabled: list at "
        "least one address (or set alerts.enabled: false)"
    )


@pytest.mark.parametrize(
    ("break_glass", "key", "message"),
    [
        ({"users": ["a", "A"]}, "breakGlass.users", "duplicate user 'a'"),
        ({"users": ["no spaces"]}, "breakGlass.users[0]", "String should match pattern"),
        ({"alerts": {"emails": ["ops@"]}}, "breakGlass.alerts.emails[0]", "not a valid e-mail"),
        ({"alerts": {"forwardRegions": ["us-east-1"]}}, "breakGlass.alerts.forwardRegions",
         "us-east-1 holds the alerting rule itself"),
        ({"alerts": {"forwardRegions": ["Mars"]}}, "breakGlass.alerts.forwardRegions[0]", "pattern"),
        ({"alert": {}}, "breakGlass.alert", "unknown key"),
    ],
)
def test_bad_break_glass_values_name_their_key(break_glass: dict[str, Any], key: str, message: str) -> None:
    error = org_error(**break_glass)
    assert error.startswith(f"Pulumi.org.yaml: landing-zone:{key}: ") and message in error


def test_without_email_pattern_the_alert_list_is_required() -> None:
    assert derive_alert_emails({}, None, "Pulumi.org.yaml") == ({}, [])  # the check asks, after the others
    with pytest.raises(config.ConfigError) as caught:
        check_break_glass(BreakGlassSettings(), "Pulumi.org.yaml")  # no emails, none derived
    assert str(caught.value) == (
        "Pulumi.org.yaml: landing-zone:breakGlass.alerts.emails: is required (or set "
        "landing-zone:emailPattern to derive it)"
    )
    given = {"breakGlass": {"alerts": {"emails": ["sec@example.org"]}}}
    assert derive_alert_emails(given, None, "Pulumi.org.yaml") == (given, [])
    off = {"breakGlass": {"alerts": {"enabled": False}}}
    assert derive_alert_emails(off, None, "Pulumi.org.yaml") == (off, [])


# --- plan's check: the alerts can be delivered on AWS --------------------------------------------


def alert_findings(recording: Recording, root: Path = FIXTURE_STACKS) -> list[tuple[str, str, str]]:
    context = StackContext("org", "Pulumi.org.yaml", {}, None, recording, root)
    return [(f.severity, f.where, f.message) for f in check_break_glass_alerts(context)]


def test_plan_only_warns_that_a_logging_trail_is_needed(org: Recording) -> None:
    [(severity, where, message)] = alert_findings(org)  # the tests' stack files hold no security stack
    assert (severity, where) == (WARNING, "Pulumi.org.yaml") and "CloudTrail trail" in message


def _root_with_security(tmp_path: Path, security_text: str) -> Path:
    for path in FIXTURE_STACKS.glob("Pulumi.*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "Pulumi.security.yaml").write_text(security_text, encoding="utf-8")
    return tmp_path


def test_a_security_stack_reading_this_org_declares_the_trail_so_no_warning(
    org: Recording, tmp_path: Path
) -> None:
    text = (SECURITY_FIXTURE / "Pulumi.security.yaml").read_text(encoding="utf-8")
    assert alert_findings(org, _root_with_security(tmp_path, text)) == []


@pytest.mark.parametrize("change", [
    ("retentionDays: 365", "retentionDays: 30"),  # an invalid security stack declares nothing
    ("organization/landing-zone/org", "organization/landing-zone/other-org"),  # it reads another org
])
def test_the_warning_stays_when_the_security_stack_is_invalid_or_reads_another_org(
    org: Recording, tmp_path: Path, change: tuple[str, str]
) -> None:
    text = (SECURITY_FIXTURE / "Pulumi.security.yaml").read_text(encoding="utf-8")
    assert change[0] in text
    [(severity, _, message)] = alert_findings(org, _root_with_security(tmp_path, text.replace(*change)))
    assert severity == WARNING and "CloudTrail trail" in message


def _edit_json(resource: RecordedResource, key: str, change: Any) -> None:
    for props in (resource.inputs, resource.outputs):
        document = json.loads(props[key])
        change(document)
        props[key] = json.dumps(document)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (lambda r: _edit_json(r.one(KEY, "break-glass-alerts-key"), "policy",
                              lambda d: d.update(Statement=d["Statement"][:1])),
         "does not allow events.amazonaws.com kms:GenerateDataKey, kms:Decrypt"),
        (lambda r: r.one(TOPIC).inputs.update(kmsMasterKeyId="alias/aws/sns"),
         "encrypted with alias/aws/sns"),
        (lambda r: _edit_json(r.one(TOPIC_POLICY), "policy", lambda d: d["Statement"][0].update(
            Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:111111111111:rule/other"}})),
         "no topic policy lets events.amazonaws.com publish for rule break-glass-sign-in"),
    ],
)
def test_plan_catches_alerts_that_could_not_be_delivered(org: Recording, fault: Any, expected: str) -> None:
    faulty = copy.deepcopy(org)
    fault(faulty)
    errors = [(where, message) for severity, where, message in alert_findings(faulty) if severity == ERROR]
    assert [where for where, _ in errors] == [f"break-glass-alerts ({TOPIC})"]
    assert expected in errors[0][1]
