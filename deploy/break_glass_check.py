"""Stack check: the break-glass sign-in alerts can be delivered on AWS, not only under mocks.

Under mocks every rule "publishes". On AWS, an EventBridge rule whose SNS topic is encrypted with a key
EventBridge may not use, or whose topic policy does not let it publish, drops every alert silently. So
``plan`` checks, for each rule target that is an SNS topic of this stack:

- the topic's KMS key: not the AWS managed ``alias/aws/sns`` (its policy cannot let EventBridge in), and,
  when it is a key of this stack, its policy allows ``events.amazonaws.com`` ``kms:GenerateDataKey*`` and
  ``kms:Decrypt`` (SNS Developer Guide, sns-key-management.html, "compatibility between event sources
  from AWS services and encrypted topics");
- the topic's policy allows ``events.amazonaws.com`` to ``sns:Publish`` for this rule's ARN.

And it warns that the sign-in events reach EventBridge only while a CloudTrail trail logs (EventBridge
User Guide, eb-service-event-cloudtrail.html), when the stack declares no trail itself and no security
stack of the same project reads it: that stack always declares the organization trail (multi-region,
logging; components/security_stack.py), which logs the management account's events too.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from deploy.simulate import RecordedResource
from deploy.stack_checks import ERROR, WARNING, Finding, StackContext
from iam_documents import documents

CHECK = "break-glass alerts"
RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
KMS_KEY = "aws:kms/key:Key"
TRAIL = "aws:cloudtrail/trail:Trail"
EVENTS = "events.amazonaws.com"
AWS_MANAGED_SNS_KEY = "alias/aws/sns"


def _statements(text: Any) -> list[dict[str, Any]]:
    document = documents.parse_json_text(text)
    if not isinstance(document, dict):
        return []
    return [s for s in documents.statements(document) if isinstance(s, dict)]


def _allows(statement: dict[str, Any], action: str) -> bool:
    principal = statement.get("Principal")
    services = documents.as_list(principal.get("Service")) if isinstance(principal, dict) else []
    return (statement.get("Effect") == "Allow" and EVENTS in services
            and any(fnmatch.fnmatchcase(action, str(a)) for a in documents.as_list(statement.get("Action"))))


def _source_arns(statement: dict[str, Any]) -> list[str]:
    condition = statement.get("Condition") or {}
    return [str(v) for op in ("ArnEquals", "ArnLike", "StringEquals") for v in
            documents.as_list((condition.get(op) or {}).get("aws:SourceArn", []))]


def check_break_glass_alerts(context: StackContext) -> list[Finding]:
    recording = context.recording
    if recording is None:
        return []
    topics = {r.outputs.get("arn"): r for r in recording.of_type(TOPIC)}
    rules = {r.outputs.get("name") or r.inputs.get("name"): r for r in recording.of_type(RULE)}
    findings: list[Finding] = []
    alerting = False
    for target in recording.of_type(TARGET):
        topic, rule = topics.get(target.inputs.get("arn")), rules.get(target.inputs.get("rule"))
        if topic is None or rule is None:
            continue
        alerting = True
        findings += _key_findings(topic, recording.of_type(KMS_KEY))
        topic_arn = topic.outputs.get("arn")
        policies = [p for p in recording.of_type(TOPIC_POLICY) if p.inputs.get("arn") == topic_arn]
        if not any(_allows(s, "sns:Publish") and rule.outputs.get("arn") in _source_arns(s)
                   for p in policies for s in _statements(p.inputs.get("policy"))):
            findings.append(Finding(CHECK, ERROR, f"{topic.name} ({TOPIC})",
                                    f"no topic policy lets {EVENTS} publish for rule {rule.name}: its events "
                                    "would be dropped"))
    if alerting and not recording.of_type(TRAIL) and not security_trail_stack(context):
        findings.append(Finding(
            CHECK, WARNING, context.source,
            "the sign-in alerts need a CloudTrail trail that logs in this account (EventBridge User Guide, "
            "eb-service-event-cloudtrail.html); this stack declares none: keep one on (docs/security.md "
            "\"Break-glass\")",
        ))
    return findings


def security_trail_stack(context: StackContext) -> str | None:
    """The stack file of a valid security stack in the same root that reads this stack, or None."""
    from components import config as stack_config
    from deploy.stacks import stack_names

    for stack in stack_names(context.root):
        try:
            settings = stack_config.load_stack_file(stack, context.root)
        except stack_config.ConfigError:
            continue  # that stack's own config check reports it
        if isinstance(settings, stack_config.SecurityConfig) and (
            settings.org_stack.split("/")[-1] == context.stack
        ):
            return stack_config.stack_file(stack)
    return None


def _key_findings(topic: RecordedResource, keys: list[RecordedResource]) -> list[Finding]:
    key_id = str(topic.inputs.get("kmsMasterKeyId") or "")
    where = f"{topic.name} ({TOPIC})"
    if key_id.endswith(AWS_MANAGED_SNS_KEY):
        return [Finding(CHECK, ERROR, where, f"encrypted with {AWS_MANAGED_SNS_KEY}: EventBridge cannot use "
                        "that key, so it cannot publish (use a customer managed key that allows it)")]
    key = next((k for k in keys if key_id in (k.outputs.get("arn"), k.outputs.get("keyId"))), None)
    if not key_id or key is None:
        return []
    statements = _statements(key.inputs.get("policy"))
    needed = ("kms:GenerateDataKey", "kms:Decrypt")
    missing = [a for a in needed if not any(_allows(s, a) for s in statements)]
    if missing:
        return [Finding(CHECK, ERROR, where, f"its key {key.name} does not allow {EVENTS} "
                        f"{', '.join(missing)}: EventBridge cannot publish to the topic")]
    return []
