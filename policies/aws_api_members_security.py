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

# The security stack (components/security_stack.py and its components): the organization trail, the
# delegated security services and the account baseline's StackSets. Ids that the program wires from other
# resources (detector, policy, root) travel as given; the members listed carry a constraint in the model.
SECURITY_STACK_MEMBERS: dict[str, dict[str, str]] = {
    # CreateTrail's members carry no constraint in the model; the trail name's documented rules are checked
    # with the config (components/settings/security.py), the bucket name's by the S3 rules of the bucket.
    "aws:cloudtrail/trail:Trail": {},
    "aws:guardduty/detector:Detector": {
        "findingPublishingFrequency": "guardduty:CreateDetector.FindingPublishingFrequency",
    },
    "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount": {},  # an account id, unconstrained
    "aws:guardduty/organizationConfiguration:OrganizationConfiguration": {
        "detectorId": "guardduty:UpdateOrganizationConfiguration.DetectorId",
        "autoEnableOrganizationMembers":
            "guardduty:UpdateOrganizationConfiguration.AutoEnableOrganizationMembers",
    },
    "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount": {
        "adminAccountId": "securityhub:EnableOrganizationAdminAccount.AdminAccountId",
    },
    "aws:securityhub/findingAggregator:FindingAggregator": {
        "linkingMode": "securityhub:CreateFindingAggregator.RegionLinkingMode",
        "specifiedRegions[]": "securityhub:CreateFindingAggregator.Regions[]",
    },
    "aws:securityhub/organizationConfiguration:OrganizationConfiguration": {
        "autoEnableStandards": "securityhub:UpdateOrganizationConfiguration.AutoEnableStandards",
        "organizationConfiguration.configurationType":
            "securityhub:UpdateOrganizationConfiguration.OrganizationConfiguration.ConfigurationType",
    },
    "aws:securityhub/configurationPolicy:ConfigurationPolicy": {
        "name": "securityhub:CreateConfigurationPolicy.Name",
        "description": "securityhub:CreateConfigurationPolicy.Description",
    },
    "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation": {},  # ids only
    "aws:accessanalyzer/analyzer:Analyzer": {
        "analyzerName": "accessanalyzer:CreateAnalyzer.analyzerName",
        "type": "accessanalyzer:CreateAnalyzer.type",
    },
    "aws:organizations/delegatedAdministrator:DelegatedAdministrator": {
        "accountId": "organizations:RegisterDelegatedAdministrator.AccountId",
        "servicePrincipal": "organizations:RegisterDelegatedAdministrator.ServicePrincipal",
    },
    "aws:cloudformation/stackSet:StackSet": {
        "description": "cloudformation:CreateStackSet.Description",
        "templateBody": "cloudformation:CreateStackSet.TemplateBody",
        "permissionModel": "cloudformation:CreateStackSet.PermissionModel",
        "callAs": "cloudformation:CreateStackSet.CallAs",
        "capabilities[]": "cloudformation:CreateStackSet.Capabilities[]",
    },
    "aws:cloudformation/stackSetInstance:StackSetInstance": {
        "stackSetInstanceRegion": "cloudformation:CreateStackInstances.Regions[]",
        "callAs": "cloudformation:CreateStackInstances.CallAs",
        "deploymentTargets.organizationalUnitIds[]":
            "cloudformation:CreateStackInstances.DeploymentTargets.OrganizationalUnitIds[]",
    },
    "aws:cfg/configurationAggregator:ConfigurationAggregator": {
        "name": "config:PutConfigurationAggregator.ConfigurationAggregatorName",
    },
}
