"""BreakGlass: emergency IAM users in the management account, and an alert on every root or break-glass
console sign-in (stack ``org``).

- Users under path /break-glass/ with no access key and no login profile: the program never sets a
  password (an administrator does, offline: docs/security.md "Break-glass"). Their group holds
  AdministratorAccess and an inline policy that denies everything but MFA self-service while the request
  is not MFA-authenticated (IAM User Guide, "AWS: Allows MFA-authenticated IAM users to manage their own
  MFA device on the Security credentials page", reference_policies_examples_aws_my-sec-creds-self-manage-
  mfa-only.html; iam:ChangePassword and iam:GetAccountPasswordPolicy added as that page says, so a first
  sign-in can set the password before MFA is enrolled).
- An EventBridge rule in us-east-1 on ``AWS Console Sign In via CloudTrail`` from ``aws.signin`` for the
  root user or one of these users, to an SNS topic with e-mail subscriptions. Rules in the other Regions
  where CloudTrail records IAM users' sign-ins forward matching events to us-east-1's default bus
  (components/settings/break_glass.py says which and why).

Everything here depends on nothing else of the Security OU; the sign-in events reach EventBridge only
while a CloudTrail trail logs (EventBridge User Guide, eb-service-event-cloudtrail.html: "To record events
with one of the CloudTrail detail-type values, you must enable a CloudTrail trail with logging").
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.settings.break_glass import GROUP_NAME, HOME_REGION, USER_PATH, BreakGlassSettings
from iam_documents import documents

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
REQUIRE_MFA_FILE = documents.DOCUMENTS_DIR / "break_glass" / "require_mfa.json"
GROUP_INLINE_POLICY_MAX_CHARS = 5120  # IAM quotas: inline policies of a group, all together
# The detail-type CloudTrail gives console sign-ins on EventBridge (EventBridge events reference, "AWS
# Sign-In events delivered via AWS CloudTrail", events-ref-signin.html; the event's eventName ConsoleLogin).
SIGN_IN_DETAIL_TYPE = "AWS Console Sign In via CloudTrail"
SIGN_IN_SOURCE = "aws.signin"
# userIdentity.type of the root user (CloudTrail User Guide, cloudtrail-event-reference-user-identity).
ROOT_IDENTITY_TYPE = "Root"
IAM_USER_IDENTITY_TYPE = "IAMUser"


@functools.cache
def require_mfa_policy() -> documents.PolicyDocument:
    """The group's MFA-deny policy, validated (grammar, known actions, size as sent)."""
    return documents.load(REQUIRE_MFA_FILE, "identity", max_chars=GROUP_INLINE_POLICY_MAX_CHARS)


def sign_in_pattern(user_names: Sequence[str]) -> dict[str, Any]:
    """The event pattern: a console sign-in by the root user or by the IAM user of one of ``user_names``
    (unique in the account whatever the path; CloudTrail's sign-in records carry ``userIdentity.userName``
    for type IAMUser). ``$or``: EventBridge User Guide, "Content filtering in event patterns"
    (eb-event-patterns-content-based-filtering.html)."""
    identities: list[dict[str, Any]] = [{"detail": {"userIdentity": {"type": [ROOT_IDENTITY_TYPE]}}}]
    if user_names:
        identities.append(
            {"detail": {"userIdentity": {"type": [IAM_USER_IDENTITY_TYPE], "userName": sorted(user_names)}}}
        )
    return {"source": [SIGN_IN_SOURCE], "detail-type": [SIGN_IN_DETAIL_TYPE], "$or": identities}


def events_key_policy(account_id: str) -> str:
    """The topic key's policy: the account administers it (KMS default key policy), EventBridge encrypts
    with it. SNS Developer Guide, "Key management", sns-key-management.html ("Enable compatibility between
    event sources from AWS services and encrypted topics": events.amazonaws.com needs kms:Decrypt and
    kms:GenerateDataKey*); an AWS managed key (alias/aws/sns) cannot take that statement, so EventBridge
    could not publish to a topic encrypted with it."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministers", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "EventBridgePublishesToTheTopic", "Effect": "Allow",
             "Principal": {"Service": "events.amazonaws.com"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},
        ],
    }, separators=(",", ":"))


def topic_policy(topic_arn: str, rule_arn: str) -> str:
    """Only the alerting rule may publish: aws:SourceArn (SNS Developer Guide, sns-access-policy-use-cases)"""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "OnlyTheSignInRulePublishes", "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": topic_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }],
    }, separators=(",", ":"))


@dataclass(frozen=True)
class BreakGlassArgs:
    settings: BreakGlassSettings
    account_id: str  # the management account (the provider is pinned to it)


class BreakGlass(pulumi.ComponentResource):
    """Break-glass users and sign-in alerting in the management account."""

    users: dict[str, aws.iam.User]
    group: aws.iam.Group
    administrator: aws.iam.GroupPolicyAttachment
    require_mfa: aws.iam.GroupPolicy
    membership: aws.iam.GroupMembership | None
    key: aws.kms.Key | None
    topic: aws.sns.Topic | None
    rule: aws.cloudwatch.EventRule | None
    forward_rules: dict[str, aws.cloudwatch.EventRule]

    def __init__(self, name: str, args: BreakGlassArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:security:BreakGlass", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.users = {
            user: aws.iam.User(
                f"{name}-user-{user}", name=user, path=USER_PATH, force_destroy=False, opts=child
            )
            for user in settings.users
        }
        self.group = aws.iam.Group(f"{name}-group", name=GROUP_NAME, path=USER_PATH, opts=child)
        self.administrator = aws.iam.GroupPolicyAttachment(
            f"{name}-administrator-access", group=self.group.name, policy_arn=ADMINISTRATOR_ACCESS, opts=child
        )
        self.require_mfa = aws.iam.GroupPolicy(
            f"{name}-require-mfa", group=self.group.name, name="require-mfa",
            policy=require_mfa_policy().minified, opts=child,
        )
        self.membership = (
            aws.iam.GroupMembership(
                f"{name}-members", name=f"{name}-members", group=self.group.name,
                users=[user.name for user in self.users.values()], opts=child,
            )
            if self.users else None
        )
        self.key = self.topic = self.rule = None
        self.forward_rules = {}
        if settings.alerts.enabled:
            self._alerts(name, settings, args.account_id, child)

        self.register_outputs({
            "users": {user: resource.arn for user, resource in self.users.items()},
            "group": self.group.name,
            "alert_topic_arn": self.topic.arn if self.topic is not None else None,
        })

    def _alerts(self, name: str, settings: BreakGlassSettings, account_id: str,
                child: pulumi.ResourceOptions) -> None:
        pattern = json.dumps(sign_in_pattern(settings.users), separators=(",", ":"))
        self.key = aws.kms.Key(
            f"{name}-alerts-key", description="Encrypts the break-glass sign-in alert topic",
            enable_key_rotation=True, deletion_window_in_days=30, policy=events_key_policy(account_id),
            region=HOME_REGION, opts=child,
        )
        self.topic = aws.sns.Topic(
            f"{name}-alerts", name=f"{name}-sign-in-alerts", kms_master_key_id=self.key.arn,
            region=HOME_REGION, opts=child,
        )
        # Sign-ins of root and of IAM users through the global endpoint land in us-east-1 (see settings).
        self.rule = aws.cloudwatch.EventRule(
            f"{name}-sign-in", name=f"{name}-sign-in",
            description="Root or break-glass console sign-in: alert the security e-mail list",
            event_pattern=pattern, region=HOME_REGION, opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-sign-in-to-topic", rule=self.rule.name, arn=self.topic.arn, target_id="alert-topic",
            region=HOME_REGION, opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-alerts-policy", arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, self.rule.arn).apply(lambda a: topic_policy(a[0], a[1])),
            region=HOME_REGION, opts=child,
        )
        for address in settings.alert_emails:
            aws.sns.TopicSubscription(
                f"{name}-alert-{address}", topic=self.topic.arn, protocol="email", endpoint=address,
                region=HOME_REGION, opts=child,
            )
        if settings.alerts.forward_regions:
            self._forwarding(name, settings.alerts.forward_regions, account_id, pattern, child)

    def _forwarding(self, name: str, regions: Sequence[str], account_id: str, pattern: str,
                    child: pulumi.ResourceOptions) -> None:
        """A rule per Region sending matching sign-ins to us-east-1's default bus (EventBridge User Guide,
        "Sending and receiving events between AWS Regions", eb-cross-region.html: a role that may
        events:PutEvents on the target bus)."""
        home_bus = f"arn:aws:events:{HOME_REGION}:{account_id}:event-bus/default"
        role = aws.iam.Role(
            f"{name}-forward-role", name=f"{name}-forward-sign-ins", path=USER_PATH,
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }],
            }, separators=(",", ":")),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-forward-policy", role=role.name, name="put-events-home-bus",
            policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": home_bus}],
            }, separators=(",", ":")),
            opts=child,
        )
        for region in regions:
            rule = aws.cloudwatch.EventRule(
                f"{name}-sign-in-{region}", name=f"{name}-sign-in-forward",
                description=f"Root or break-glass console sign-in in {region}: forward to {HOME_REGION}",
                event_pattern=pattern, region=region, opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-sign-in-{region}-to-{HOME_REGION}", rule=rule.name, arn=home_bus, role_arn=role.arn,
                target_id="home-bus", region=region, opts=child,
            )
            self.forward_rules[region] = rule
