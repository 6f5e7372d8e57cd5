"""The Terraform names of the Pulumi AWS resources, attributes and blocks this program declares.

pulumi-aws is bridged from the Terraform AWS provider (tfbridge), so each ``aws:`` resource type is one
Terraform resource type and each input one Terraform attribute or block. The bridge's own mapping is the
source:

- Resource types: ``renames.resources`` of ``provider/cmd/pulumi-resource-aws/bridge-metadata.json`` in
  pulumi/pulumi-aws (token -> Terraform type) for every type listed in :data:`TERRAFORM_TYPES`; v7 renamed
  the S3 ``...V2`` resources to the plain names (the installed SDK marks the ``V2`` classes "deprecated in
  favor of" them), which map to the same Terraform types. Any other ``aws:`` type gets the bridge's
  default rule (``aws_<module>_<snake name>``) and is reported as derived.
- Attribute names: the bridge camel-cases Terraform's snake_case names, so snake-casing them back is exact,
  except where it also pluralized a repeatable block (``default_action`` -> ``defaultActions``). Those are
  ``renames.renamedProperties`` of the same file; the ones of the types used here are in
  :data:`PLURALIZED` (a test makes every repeatable block of a recorded type be decided there).
- Shapes: the typed Args classes of the installed Python SDK say which input is a block (a nested Args
  type), a list of blocks, a list, a map or a scalar. A block that appears at most once is an object in
  Pulumi and a one-element list in a Terraform plan.
"""

from __future__ import annotations

import collections.abc
import functools
import importlib
import re
import sys
import typing
from dataclasses import dataclass
from typing import Any

# Pulumi type token -> Terraform resource type (bridge-metadata.json "renames.resources", see above).
TERRAFORM_TYPES: dict[str, str] = {
    "aws:amplify/app:App": "aws_amplify_app",
    "aws:amplify/branch:Branch": "aws_amplify_branch",
    "aws:apigatewayv2/api:Api": "aws_apigatewayv2_api",
    "aws:apigatewayv2/authorizer:Authorizer": "aws_apigatewayv2_authorizer",
    "aws:apigatewayv2/integration:Integration": "aws_apigatewayv2_integration",
    "aws:apigatewayv2/route:Route": "aws_apigatewayv2_route",
    "aws:apigatewayv2/stage:Stage": "aws_apigatewayv2_stage",
    "aws:apigatewayv2/vpcLink:VpcLink": "aws_apigatewayv2_vpc_link",
    "aws:appautoscaling/policy:Policy": "aws_appautoscaling_policy",
    "aws:appautoscaling/scheduledAction:ScheduledAction": "aws_appautoscaling_scheduled_action",
    "aws:appautoscaling/target:Target": "aws_appautoscaling_target",
    "aws:budgets/budget:Budget": "aws_budgets_budget",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "aws_cloudwatch_log_resource_policy",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:cognito/userGroup:UserGroup": "aws_cognito_user_group",
    "aws:cognito/userPool:UserPool": "aws_cognito_user_pool",
    "aws:cognito/userPoolClient:UserPoolClient": "aws_cognito_user_pool_client",
    "aws:cognito/userPoolDomain:UserPoolDomain": "aws_cognito_user_pool_domain",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "aws_security_group_rule",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ecs/cluster:Cluster": "aws_ecs_cluster",
    "aws:ecs/service:Service": "aws_ecs_service",
    "aws:ecs/taskDefinition:TaskDefinition": "aws_ecs_task_definition",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:identitystore/group:Group": "aws_identitystore_group",
    "aws:identitystore/groupMembership:GroupMembership": "aws_identitystore_group_membership",
    "aws:identitystore/user:User": "aws_identitystore_user",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:kms/keyPolicy:KeyPolicy": "aws_kms_key_policy",
    "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group",
    "aws:organizations/account:Account": "aws_organizations_account",
    "aws:organizations/organization:Organization": "aws_organizations_organization",
    "aws:organizations/organizationalUnit:OrganizationalUnit": "aws_organizations_organizational_unit",
    "aws:organizations/policy:Policy": "aws_organizations_policy",
    "aws:organizations/policyAttachment:PolicyAttachment": "aws_organizations_policy_attachment",
    "aws:rds/cluster:Cluster": "aws_rds_cluster",
    "aws:rds/clusterInstance:ClusterInstance": "aws_rds_cluster_instance",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "aws_rds_cluster_parameter_group",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
        "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":
        "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2": "aws_s3_bucket_versioning",
    "aws:secretsmanager/secret:Secret": "aws_secretsmanager_secret",
    "aws:secretsmanager/secretVersion:SecretVersion": "aws_secretsmanager_secret_version",
    "aws:ssoadmin/accountAssignment:AccountAssignment": "aws_ssoadmin_account_assignment",
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": "aws_ssoadmin_managed_policy_attachment",
    "aws:ssoadmin/permissionSet:PermissionSet": "aws_ssoadmin_permission_set",
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy":
        "aws_ssoadmin_permission_set_inline_policy",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "aws:cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "aws:cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
    "aws:iam/group:Group": "aws_iam_group",
    "aws:iam/groupMembership:GroupMembership": "aws_iam_group_membership",
    "aws:iam/groupPolicy:GroupPolicy": "aws_iam_group_policy",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "aws_iam_group_policy_attachment",
    "aws:iam/user:User": "aws_iam_user",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicPolicy:TopicPolicy": "aws_sns_topic_policy",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
}

# Repeatable blocks whose Pulumi name is the plural of the Terraform one, by the token of the type that
# holds them (a resource, or a nested type named after its Terraform path). Entries marked (bridge) were
# read in bridge-metadata.json "renamedProperties"; the others follow the Terraform AWS provider's docs.
PLURALIZED: dict[str, dict[str, str]] = {
    "aws:amplify/app:App": {"customRules": "custom_rule"},
    "aws:apigatewayv2/route:Route": {"requestParameters": "request_parameter"},  # (bridge)
    "aws:appautoscaling/PolicyStepScalingPolicyConfiguration:PolicyStepScalingPolicyConfiguration": {
        "stepAdjustments": "step_adjustment",  # (bridge)
    },
    "aws:budgets/budget:Budget": {
        "costFilters": "cost_filter", "notifications": "notification", "plannedLimits": "planned_limit",
    },
    "aws:cognito/userPool:UserPool": {"schemas": "schema"},
    "aws:cognito/UserPoolAccountRecoverySetting:UserPoolAccountRecoverySetting": {
        "recoveryMechanisms": "recovery_mechanism",
    },
    "aws:ecs/cluster:Cluster": {"settings": "setting"},
    "aws:ecs/service:Service": {
        "capacityProviderStrategies": "capacity_provider_strategy",
        "loadBalancers": "load_balancer",
        "orderedPlacementStrategies": "ordered_placement_strategy",
    },
    "aws:ecs/taskDefinition:TaskDefinition": {"volumes": "volume"},
    "aws:iam/role:Role": {"inlinePolicies": "inline_policy"},
    "aws:lb/listener:Listener": {"defaultActions": "default_action"},
    "aws:lb/ListenerDefaultActionForward:ListenerDefaultActionForward": {
        "targetGroups": "target_group",  # (bridge)
    },
    "aws:lb/loadBalancer:LoadBalancer": {"subnetMappings": "subnet_mapping"},  # (bridge)
    "aws:lb/targetGroup:TargetGroup": {
        "targetFailovers": "target_failover",  # (bridge)
        "targetHealthStates": "target_health_state",
    },
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": {"parameters": "parameter"},
    "aws:rds/parameterGroup:ParameterGroup": {"parameters": "parameter"},
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {"rules": "rule"},
    "aws:s3/BucketLifecycleConfigurationRule:BucketLifecycleConfigurationRule": {
        "transitions": "transition", "noncurrentVersionTransitions": "noncurrent_version_transition",
    },
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "rules": "rule",
    },
    "aws:secretsmanager/secret:Secret": {"replicas": "replica"},
}

# Repeatable blocks whose Terraform name is the plural too (decided, so the test knows they were looked at).
PLURAL_IN_TERRAFORM: dict[str, set[str]] = {
    "aws:apigatewayv2/integration:Integration": {"responseParameters"},  # (bridge)
    "aws:apigatewayv2/stage:Stage": {"routeSettings"},  # (bridge)
    "aws:ec2/securityGroup:SecurityGroup": {"egress", "ingress"},
    "aws:ecs/service:Service": {"placementConstraints", "vpcLatticeConfigurations"},
    "aws:ecs/taskDefinition:TaskDefinition": {"placementConstraints"},
}

# Terraform schema defaults a real plan shows although the program leaves them out, where a scanner's
# verdict depends on them (a check that reads a missing attribute as insecure). Each is stated in the
# installed SDK's docstring of that input ("Default `true`."); a test reads it there.
DEFAULTS: dict[str, dict[str, Any]] = {
    "aws_rds_cluster_instance": {"auto_minor_version_upgrade": True},
}

SCALAR, LIST, MAP, BLOCK, BLOCKS = "scalar", "list", "map", "block", "blocks"


@dataclass(frozen=True)
class Attribute:
    """One input of a Pulumi type as Terraform sees it."""

    terraform_name: str
    kind: str  # SCALAR, LIST (of scalars), MAP, BLOCK (at most one) or BLOCKS
    block_type: type | None = None  # the SDK's Args class of a block's contents


def camel_to_snake(name: str) -> str:
    """The inverse of the bridge's camel-casing: ``enableHttp2`` -> ``enable_http2``."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def resource_type(token: str) -> tuple[str, bool]:
    """The Terraform type of a Pulumi token, and whether it is the bridge's mapping (False: derived)."""
    if token in TERRAFORM_TYPES:
        return TERRAFORM_TYPES[token], True
    return derive_resource_type(token), False


def derive_resource_type(token: str) -> str:
    """The bridge's default: ``aws:<module>/<camelName>:<Name>`` -> ``aws_<module>_<snake_name>``."""
    package, module_and_name, name = token.split(":")
    module = module_and_name.split("/")[0]
    return f"{package}_{module}_{camel_to_snake(name)}"


def args_class(token: str) -> type | None:
    """The SDK's Args class of a resource token (``pulumi_aws.lb.LoadBalancerArgs``), or None."""
    package, module_and_name, name = token.split(":")
    module_name = module_and_name.split("/")[0]
    candidates = [f"pulumi_{package}.{module_name}", f"pulumi_{package}.{module_name}_"]
    for candidate in candidates:
        try:
            module = importlib.import_module(candidate)
        except ImportError:
            continue
        # The Args class beside the resource class. When a nested type has the resource's name (s3's
        # BucketServerSideEncryptionConfigurationArgs is also a block of the old Bucket) the SDK calls the
        # resource's own one <Name>InitArgs.
        resource = getattr(module, name, None)
        home = sys.modules.get(resource.__module__) if isinstance(resource, type) else None
        for class_name in (f"{name}InitArgs", f"{name}Args"):
            found = getattr(home, class_name, None)
            if isinstance(found, type):
                return found
    return None


def nested_token(block_type: type) -> str:
    """The type token of a nested Args class: ``pulumi_aws.lb._inputs.ListenerDefaultActionArgs`` ->
    ``aws:lb/ListenerDefaultAction:ListenerDefaultAction`` (the bridge's name for it)."""
    parts = block_type.__module__.split(".")
    package = parts[0].removeprefix("pulumi_")
    module = parts[1].rstrip("_") if len(parts) > 2 else "index"
    name = block_type.__name__.removesuffix("Args")
    return f"{package}:{module}/{name}:{name}"


@functools.cache
def attributes(owner_token: str, owner: type) -> dict[str, Attribute]:
    """Pulumi input name -> :class:`Attribute`, for a resource's or a block's Args class."""
    from pulumi import _types

    namespace = vars(sys.modules[owner.__module__])
    renamed = PLURALIZED.get(owner_token, {})
    result: dict[str, Attribute] = {}
    for _python_name, pulumi_name, prop in _types._py_properties(owner):
        kind, block_type = _shape(prop.fget.__annotations__.get("return"), namespace)
        terraform_name = renamed.get(pulumi_name) or camel_to_snake(pulumi_name)
        result[pulumi_name] = Attribute(terraform_name, kind, block_type)
    return result


def _shape(annotation: Any, namespace: dict[str, Any]) -> tuple[str, type | None]:
    """Classify an SDK input annotation: ``Input[Optional[Sequence[Input['XArgs']]]]`` -> (BLOCKS, XArgs)."""
    from pulumi import Output, _types

    if isinstance(annotation, str):
        annotation = typing.ForwardRef(annotation)
    if isinstance(annotation, typing.ForwardRef):
        annotation = namespace.get(annotation.__forward_arg__)
    if isinstance(annotation, type):
        return (BLOCK, annotation) if _types.is_input_type(annotation) else (SCALAR, None)
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Union:
        for argument in arguments:
            inner = typing.get_origin(argument)
            if argument is type(None) or inner in (collections.abc.Awaitable, Output) or argument is Output:
                continue
            return _shape(argument, namespace)
    if origin in (collections.abc.Sequence, list) and arguments:
        element, block_type = _shape(arguments[0], namespace)
        return (BLOCKS, block_type) if element == BLOCK else (LIST, None)
    if origin in (collections.abc.Mapping, dict):
        return MAP, None
    return SCALAR, None
