"""``API_MEMBERS`` entries of the org stack's break-glass resources (components/break_glass.py): IAM users,
their group and its policies, the sign-in rules and targets, the alert topic and its subscriptions.
Merged into ``policies.aws_api_members.API_MEMBERS``; the same path syntax. The topic's policy and key
travel in SetTopicAttributes/CreateTopic ``Attributes`` (a map without per-key constraints in the model).
"""

from __future__ import annotations

SECURITY_MEMBERS: dict[str, dict[str, str]] = {
    "aws:iam/user:User": {
        "name": "iam:CreateUser.UserName",
        "path": "iam:CreateUser.Path",
    },
    "aws:iam/group:Group": {
        "name": "iam:CreateGroup.GroupName",
        "path": "iam:CreateGroup.Path",
    },
    "aws:iam/groupPolicy:GroupPolicy": {
        "group": "iam:PutGroupPolicy.GroupName",
        "name": "iam:PutGroupPolicy.PolicyName",
        "policy": "iam:PutGroupPolicy.PolicyDocument",
    },
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": {
        "group": "iam:AttachGroupPolicy.GroupName",
        "policyArn": "iam:AttachGroupPolicy.PolicyArn",
    },
    "aws:iam/groupMembership:GroupMembership": {
        "group": "iam:AddUserToGroup.GroupName",
        "users[]": "iam:AddUserToGroup.UserName",
    },
    "aws:cloudwatch/eventRule:EventRule": {
        "name": "events:PutRule.Name",
        "description": "events:PutRule.Description",
        "eventPattern": "events:PutRule.EventPattern",
    },
    "aws:cloudwatch/eventTarget:EventTarget": {
        "rule": "events:PutTargets.Rule",
        "targetId": "events:PutTargets.Targets[].Id",
    },
    "aws:sns/topic:Topic": {
        "name": "sns:CreateTopic.Name",
    },
    "aws:sns/topicPolicy:TopicPolicy": {},
    "aws:sns/topicSubscription:TopicSubscription": {
        "protocol": "sns:Subscribe.Protocol",  # the e-mail endpoints are checked by the config
    },
}
