"""Where each input of each resource the program declares ends up in AWS's APIs: a data table.

``API_MEMBERS`` maps a resource type (as the engine names it) and an input path (the provider's
camelCase input properties, as CrossGuard and ``deploy.simulate`` see them) to the AWS API member
that carries the value: ``service:Operation.Member.Path`` in botocore's service models. The
constraints of those members (enums, lengths, patterns, ranges, list sizes) are distilled from the
models into ``aws_api_constraints.json`` by ``scripts/extract_api_constraints.py``; the rules AWS
documents but the models leave out are in ``aws_service_rules.py``, keyed by the same members.

Path syntax, for inputs and members alike:

* ``a.b``: key ``b`` of object ``a`` (a one-element list on the way is looked into);
* ``a[]``: each item of list ``a``;
* ``a{}``: each value of map ``a``; ``a{key}``: each key of map ``a``;
* ``a(json)``: input ``a`` is JSON text (such as a task definition's ``containerDefinitions``),
  parsed before going on;
* ``member#key`` (members only): one key of a generic key/value member, such as a load balancer
  attribute (``Attributes[].Value#idle_timeout.timeout_seconds``), so rules can tell the keys apart.

Inputs that only carry another resource's id or ARN (``vpcId``, ``apiId``, ``targetGroupArn``...)
are left out on purpose: under mocks they are fakes, in a preview they are unknown, and the provider
gets them from AWS itself. Every input the program sets from config or code, and that an API member
with a constraint carries, is listed.
"""

from __future__ import annotations

from policies.aws_api_members_security import SECURITY_MEMBERS, SECURITY_STACK_MEMBERS

# aws:ec2 (security groups and their rules): descriptions and names are checked by the documented
# character set (aws_service_rules.py); the EC2 model encodes no constraints itself.
_EC2_INGRESS = "ec2:AuthorizeSecurityGroupIngress.IpPermissions[]"
_EC2_EGRESS = "ec2:AuthorizeSecurityGroupEgress.IpPermissions[]"
_SG_RULE = {
    # The provider sends a rule's description on the range it names (IpRanges for cidrIpv4,
    # UserIdGroupPairs for referencedSecurityGroupId...); all of them share EC2's documented rule.
    "description": f"{_EC2_INGRESS}.IpRanges[].Description",
    "ipProtocol": f"{_EC2_INGRESS}.IpProtocol",
    "fromPort": f"{_EC2_INGRESS}.FromPort",
    "toPort": f"{_EC2_INGRESS}.ToPort",
}
_TARGET_TRACKING = "application-autoscaling:PutScalingPolicy.TargetTrackingScalingPolicyConfiguration"
_BUDGET = "budgets:CreateBudget.Budget"
_BUDGET_NOTIFICATION = "budgets:CreateBudget.NotificationsWithSubscribers[]"
_CONTAINER = "ecs:RegisterTaskDefinition.containerDefinitions[]"
_POOL_CLIENT = "cognito-idp:CreateUserPoolClient"
_LIFECYCLE_RULE = "s3:PutBucketLifecycleConfiguration.LifecycleConfiguration.Rules[]"

API_MEMBERS: dict[str, dict[str, str]] = {
    # --- org stack: Organizations, Identity Center, budgets -------------------------------------
    "aws:organizations/organization:Organization": {
        "featureSet": "organizations:CreateOrganization.FeatureSet",
        "enabledPolicyTypes[]": "organizations:EnablePolicyType.PolicyType",
        "awsServiceAccessPrincipals[]": "organizations:EnableAWSServiceAccess.ServicePrincipal",
    },
    "aws:organizations/organizationalUnit:OrganizationalUnit": {
        "name": "organizations:CreateOrganizationalUnit.Name",
    },
    "aws:organizations/account:Account": {
        "name": "organizations:CreateAccount.AccountName",
        "email": "organizations:CreateAccount.Email",
        "roleName": "organizations:CreateAccount.RoleName",
        "iamUserAccessToBilling": "organizations:CreateAccount.IamUserAccessToBilling",
    },
    "aws:organizations/policy:Policy": {
        "name": "organizations:CreatePolicy.Name",
        "description": "organizations:CreatePolicy.Description",
        "content": "organizations:CreatePolicy.Content",
        "type": "organizations:CreatePolicy.Type",
    },
    "aws:organizations/policyAttachment:PolicyAttachment": {},  # policy and target ids only
    "aws:identitystore/user:User": {
        "identityStoreId": "identitystore:CreateUser.IdentityStoreId",
        "userName": "identitystore:CreateUser.UserName",
        "displayName": "identitystore:CreateUser.DisplayName",
        "name.givenName": "identitystore:CreateUser.Name.GivenName",
        "name.familyName": "identitystore:CreateUser.Name.FamilyName",
        "name.middleName": "identitystore:CreateUser.Name.MiddleName",
        "name.formatted": "identitystore:CreateUser.Name.Formatted",
        "emails": "identitystore:CreateUser.Emails",
        "emails[].value": "identitystore:CreateUser.Emails[].Value",
        "emails[].type": "identitystore:CreateUser.Emails[].Type",
        "locale": "identitystore:CreateUser.Locale",
        "timezone": "identitystore:CreateUser.Timezone",
        "nickname": "identitystore:CreateUser.NickName",
        "title": "identitystore:CreateUser.Title",
        "preferredLanguage": "identitystore:CreateUser.PreferredLanguage",
        "userType": "identitystore:CreateUser.UserType",
    },
    "aws:identitystore/group:Group": {
        "identityStoreId": "identitystore:CreateGroup.IdentityStoreId",
        "displayName": "identitystore:CreateGroup.DisplayName",
        "description": "identitystore:CreateGroup.Description",
    },
    "aws:identitystore/groupMembership:GroupMembership": {
        "identityStoreId": "identitystore:CreateGroupMembership.IdentityStoreId",
    },
    "aws:ssoadmin/permissionSet:PermissionSet": {
        "instanceArn": "sso-admin:CreatePermissionSet.InstanceArn",
        "name": "sso-admin:CreatePermissionSet.Name",
        "description": "sso-admin:CreatePermissionSet.Description",
        "sessionDuration": "sso-admin:CreatePermissionSet.SessionDuration",
        "relayState": "sso-admin:CreatePermissionSet.RelayState",
    },
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": {
        "instanceArn": "sso-admin:PutInlinePolicyToPermissionSet.InstanceArn",
        "inlinePolicy": "sso-admin:PutInlinePolicyToPermissionSet.InlinePolicy",
    },
    "aws:ssoadmin/accountAssignment:AccountAssignment": {
        "instanceArn": "sso-admin:CreateAccountAssignment.InstanceArn",
        "targetType": "sso-admin:CreateAccountAssignment.TargetType",
        "principalType": "sso-admin:CreateAccountAssignment.PrincipalType",
    },
    "aws:budgets/budget:Budget": {
        "name": f"{_BUDGET}.BudgetName",
        "budgetType": f"{_BUDGET}.BudgetType",
        "timeUnit": f"{_BUDGET}.TimeUnit",
        "limitAmount": f"{_BUDGET}.BudgetLimit.Amount",
        "limitUnit": f"{_BUDGET}.BudgetLimit.Unit",
        "notifications": "budgets:CreateBudget.NotificationsWithSubscribers",
        "notifications[].notificationType": f"{_BUDGET_NOTIFICATION}.Notification.NotificationType",
        "notifications[].comparisonOperator": f"{_BUDGET_NOTIFICATION}.Notification.ComparisonOperator",
        "notifications[].threshold": f"{_BUDGET_NOTIFICATION}.Notification.Threshold",
        "notifications[].thresholdType": f"{_BUDGET_NOTIFICATION}.Notification.ThresholdType",
        "notifications[].subscriberEmailAddresses[]": f"{_BUDGET_NOTIFICATION}.Subscribers[].Address",
    },
    # --- environment stacks: identity provider -------------------------------------------------
    "aws:cognito/userPool:UserPool": {
        "name": "cognito-idp:CreateUserPool.PoolName",
        "mfaConfiguration": "cognito-idp:CreateUserPool.MfaConfiguration",
        "deletionProtection": "cognito-idp:CreateUserPool.DeletionProtection",
        "usernameAttributes[]": "cognito-idp:CreateUserPool.UsernameAttributes[]",
        "aliasAttributes[]": "cognito-idp:CreateUserPool.AliasAttributes[]",
        "autoVerifiedAttributes[]": "cognito-idp:CreateUserPool.AutoVerifiedAttributes[]",
        "userPoolTier": "cognito-idp:CreateUserPool.UserPoolTier",
        "passwordPolicy.minimumLength": "cognito-idp:CreateUserPool.Policies.PasswordPolicy.MinimumLength",
        "passwordPolicy.passwordHistorySize":
            "cognito-idp:CreateUserPool.Policies.PasswordPolicy.PasswordHistorySize",
        "passwordPolicy.temporaryPasswordValidityDays":
            "cognito-idp:CreateUserPool.Policies.PasswordPolicy.TemporaryPasswordValidityDays",
        "schemas": "cognito-idp:CreateUserPool.Schema",
        "schemas[].name": "cognito-idp:CreateUserPool.Schema[].Name",
        "schemas[].attributeDataType": "cognito-idp:CreateUserPool.Schema[].AttributeDataType",
        "schemas[].stringAttributeConstraints.minLength":
            "cognito-idp:CreateUserPool.Schema[].StringAttributeConstraints.MinLength",
        "schemas[].stringAttributeConstraints.maxLength":
            "cognito-idp:CreateUserPool.Schema[].StringAttributeConstraints.MaxLength",
        "userAttributeUpdateSettings.attributesRequireVerificationBeforeUpdates[]":
            "cognito-idp:CreateUserPool.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate[]",
        "adminCreateUserConfig.inviteMessageTemplate.smsMessage":
            "cognito-idp:CreateUserPool.AdminCreateUserConfig.InviteMessageTemplate.SMSMessage",
        "accountRecoverySetting.recoveryMechanisms":
            "cognito-idp:CreateUserPool.AccountRecoverySetting.RecoveryMechanisms",
        "accountRecoverySetting.recoveryMechanisms[].name":
            "cognito-idp:CreateUserPool.AccountRecoverySetting.RecoveryMechanisms[].Name",
        "accountRecoverySetting.recoveryMechanisms[].priority":
            "cognito-idp:CreateUserPool.AccountRecoverySetting.RecoveryMechanisms[].Priority",
        "verificationMessageTemplate.defaultEmailOption":
            "cognito-idp:CreateUserPool.VerificationMessageTemplate.DefaultEmailOption",
        "emailVerificationMessage": "cognito-idp:CreateUserPool.EmailVerificationMessage",
        "emailVerificationSubject": "cognito-idp:CreateUserPool.EmailVerificationSubject",
    },
    "aws:cognito/userPoolClient:UserPoolClient": {
        "name": f"{_POOL_CLIENT}.ClientName",
        "callbackUrls": f"{_POOL_CLIENT}.CallbackURLs",
        "callbackUrls[]": f"{_POOL_CLIENT}.CallbackURLs[]",
        "logoutUrls": f"{_POOL_CLIENT}.LogoutURLs",
        "logoutUrls[]": f"{_POOL_CLIENT}.LogoutURLs[]",
        "defaultRedirectUri": f"{_POOL_CLIENT}.DefaultRedirectURI",
        "allowedOauthFlows": f"{_POOL_CLIENT}.AllowedOAuthFlows",
        "allowedOauthFlows[]": f"{_POOL_CLIENT}.AllowedOAuthFlows[]",
        "allowedOauthScopes": f"{_POOL_CLIENT}.AllowedOAuthScopes",
        "allowedOauthScopes[]": f"{_POOL_CLIENT}.AllowedOAuthScopes[]",
        "explicitAuthFlows[]": f"{_POOL_CLIENT}.ExplicitAuthFlows[]",
        "supportedIdentityProviders[]": f"{_POOL_CLIENT}.SupportedIdentityProviders[]",
        "preventUserExistenceErrors": f"{_POOL_CLIENT}.PreventUserExistenceErrors",
        "accessTokenValidity": f"{_POOL_CLIENT}.AccessTokenValidity",
        "idTokenValidity": f"{_POOL_CLIENT}.IdTokenValidity",
        "refreshTokenValidity": f"{_POOL_CLIENT}.RefreshTokenValidity",
        "authSessionValidity": f"{_POOL_CLIENT}.AuthSessionValidity",
        "tokenValidityUnits.accessToken": f"{_POOL_CLIENT}.TokenValidityUnits.AccessToken",
        "tokenValidityUnits.idToken": f"{_POOL_CLIENT}.TokenValidityUnits.IdToken",
        "tokenValidityUnits.refreshToken": f"{_POOL_CLIENT}.TokenValidityUnits.RefreshToken",
        "readAttributes[]": f"{_POOL_CLIENT}.ReadAttributes[]",
        "writeAttributes[]": f"{_POOL_CLIENT}.WriteAttributes[]",
    },
    "aws:cognito/userGroup:UserGroup": {
        "name": "cognito-idp:CreateGroup.GroupName",
        "description": "cognito-idp:CreateGroup.Description",
        "precedence": "cognito-idp:CreateGroup.Precedence",
    },
    "aws:cognito/userPoolDomain:UserPoolDomain": {
        "domain": "cognito-idp:CreateUserPoolDomain.Domain",
    },
    # --- environment stacks: network and load balancer -----------------------------------------
    "awsx:ec2:Vpc": {  # a component: its inputs are all there is to judge under mocks
        "cidrBlock": "ec2:CreateVpc.CidrBlock",
        "subnetSpecs[].cidrMask": "ec2:CreateSubnet.CidrBlock",
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        "name": "ec2:CreateSecurityGroup.GroupName",
        "description": "ec2:CreateSecurityGroup.Description",
        "ingress[].description": f"{_EC2_INGRESS}.IpRanges[].Description",
        "ingress[].protocol": f"{_EC2_INGRESS}.IpProtocol",
        "ingress[].fromPort": f"{_EC2_INGRESS}.FromPort",
        "ingress[].toPort": f"{_EC2_INGRESS}.ToPort",
        "egress[].description": f"{_EC2_EGRESS}.IpRanges[].Description",
        "egress[].protocol": f"{_EC2_EGRESS}.IpProtocol",
        "egress[].fromPort": f"{_EC2_EGRESS}.FromPort",
        "egress[].toPort": f"{_EC2_EGRESS}.ToPort",
    },
    "aws:ec2/securityGroupRule:SecurityGroupRule": _SG_RULE,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _SG_RULE,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        key: member.replace(_EC2_INGRESS, _EC2_EGRESS) for key, member in _SG_RULE.items()
    },
    "aws:lb/loadBalancer:LoadBalancer": {
        "name": "elbv2:CreateLoadBalancer.Name",
        "loadBalancerType": "elbv2:CreateLoadBalancer.Type",
        "ipAddressType": "elbv2:CreateLoadBalancer.IpAddressType",
        "customerOwnedIpv4Pool": "elbv2:CreateLoadBalancer.CustomerOwnedIpv4Pool",
        "enablePrefixForIpv6SourceNat": "elbv2:CreateLoadBalancer.EnablePrefixForIpv6SourceNat",
        # Load balancer attributes are key/value strings; their documented ranges are rules.
        "idleTimeout": "elbv2:ModifyLoadBalancerAttributes.Attributes[].Value#idle_timeout.timeout_seconds",
        "accessLogs.prefix": "elbv2:ModifyLoadBalancerAttributes.Attributes[].Value#access_logs.s3.prefix",
    },
    "aws:lb/targetGroup:TargetGroup": {
        "name": "elbv2:CreateTargetGroup.Name",
        "port": "elbv2:CreateTargetGroup.Port",
        "protocol": "elbv2:CreateTargetGroup.Protocol",
        "targetType": "elbv2:CreateTargetGroup.TargetType",
        "ipAddressType": "elbv2:CreateTargetGroup.IpAddressType",
        "healthCheck.protocol": "elbv2:CreateTargetGroup.HealthCheckProtocol",
        "healthCheck.path": "elbv2:CreateTargetGroup.HealthCheckPath",
        "healthCheck.interval": "elbv2:CreateTargetGroup.HealthCheckIntervalSeconds",
        "healthCheck.timeout": "elbv2:CreateTargetGroup.HealthCheckTimeoutSeconds",
        "healthCheck.healthyThreshold": "elbv2:CreateTargetGroup.HealthyThresholdCount",
        "healthCheck.unhealthyThreshold": "elbv2:CreateTargetGroup.UnhealthyThresholdCount",
        "deregistrationDelay":
            "elbv2:ModifyTargetGroupAttributes.Attributes[].Value#deregistration_delay.timeout_seconds",
    },
    "aws:lb/listener:Listener": {
        "port": "elbv2:CreateListener.Port",
        "protocol": "elbv2:CreateListener.Protocol",
        "defaultActions[].type": "elbv2:CreateListener.DefaultActions[].Type",
        "defaultActions[].order": "elbv2:CreateListener.DefaultActions[].Order",
        "defaultActions[].redirect.protocol": "elbv2:CreateListener.DefaultActions[].RedirectConfig.Protocol",
        "defaultActions[].redirect.statusCode":
            "elbv2:CreateListener.DefaultActions[].RedirectConfig.StatusCode",
        "defaultActions[].fixedResponse.statusCode":
            "elbv2:CreateListener.DefaultActions[].FixedResponseConfig.StatusCode",
        "defaultActions[].fixedResponse.contentType":
            "elbv2:CreateListener.DefaultActions[].FixedResponseConfig.ContentType",
    },
    # --- environment stacks: the service -------------------------------------------------------
    "aws:ecs/cluster:Cluster": {
        "name": "ecs:CreateCluster.clusterName",
        "settings[].name": "ecs:CreateCluster.settings[].name",
    },
    "aws:ecs/taskDefinition:TaskDefinition": {
        "family": "ecs:RegisterTaskDefinition.family",
        "cpu": "ecs:RegisterTaskDefinition.cpu",  # Fargate's pairs: aws_resource_rules.fargate_task_size
        "memory": "ecs:RegisterTaskDefinition.memory",
        "networkMode": "ecs:RegisterTaskDefinition.networkMode",
        "requiresCompatibilities[]": "ecs:RegisterTaskDefinition.requiresCompatibilities[]",
        "runtimePlatform.cpuArchitecture": "ecs:RegisterTaskDefinition.runtimePlatform.cpuArchitecture",
        "runtimePlatform.operatingSystemFamily":
            "ecs:RegisterTaskDefinition.runtimePlatform.operatingSystemFamily",
        "containerDefinitions(json)[].name": f"{_CONTAINER}.name",
        "containerDefinitions(json)[].portMappings[].protocol": f"{_CONTAINER}.portMappings[].protocol",
        "containerDefinitions(json)[].portMappings[].appProtocol": f"{_CONTAINER}.portMappings[].appProtocol",
        "containerDefinitions(json)[].logConfiguration.logDriver": f"{_CONTAINER}.logConfiguration.logDriver",
        "containerDefinitions(json)[].dependsOn[].condition": f"{_CONTAINER}.dependsOn[].condition",
        "volumes[].name": "ecs:RegisterTaskDefinition.volumes[].name",
    },
    "aws:ecs/service:Service": {
        "name": "ecs:CreateService.serviceName",
        "launchType": "ecs:CreateService.launchType",
        "schedulingStrategy": "ecs:CreateService.schedulingStrategy",
        "propagateTags": "ecs:CreateService.propagateTags",
        "availabilityZoneRebalancing": "ecs:CreateService.availabilityZoneRebalancing",
        "deploymentController.type": "ecs:CreateService.deploymentController.type",
        "networkConfiguration.subnets": "ecs:CreateService.networkConfiguration.awsvpcConfiguration.subnets",
        "networkConfiguration.securityGroups":
            "ecs:CreateService.networkConfiguration.awsvpcConfiguration.securityGroups",
    },
    "aws:appautoscaling/target:Target": {
        "serviceNamespace": "application-autoscaling:RegisterScalableTarget.ServiceNamespace",
        "scalableDimension": "application-autoscaling:RegisterScalableTarget.ScalableDimension",
        "resourceId": "application-autoscaling:RegisterScalableTarget.ResourceId",
    },
    "aws:appautoscaling/scheduledAction:ScheduledAction": {
        "name": "application-autoscaling:PutScheduledAction.ScheduledActionName",
        "serviceNamespace": "application-autoscaling:PutScheduledAction.ServiceNamespace",
        "scalableDimension": "application-autoscaling:PutScheduledAction.ScalableDimension",
        "resourceId": "application-autoscaling:PutScheduledAction.ResourceId",
        "schedule": "application-autoscaling:PutScheduledAction.Schedule",
        "timezone": "application-autoscaling:PutScheduledAction.Timezone",
    },
    "aws:appautoscaling/policy:Policy": {
        "name": "application-autoscaling:PutScalingPolicy.PolicyName",
        "policyType": "application-autoscaling:PutScalingPolicy.PolicyType",
        "serviceNamespace": "application-autoscaling:PutScalingPolicy.ServiceNamespace",
        "scalableDimension": "application-autoscaling:PutScalingPolicy.ScalableDimension",
        "resourceId": "application-autoscaling:PutScalingPolicy.ResourceId",
        "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType":
            f"{_TARGET_TRACKING}.PredefinedMetricSpecification.PredefinedMetricType",
        "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.resourceLabel":
            f"{_TARGET_TRACKING}.PredefinedMetricSpecification.ResourceLabel",
    },
    "aws:cloudwatch/logGroup:LogGroup": {
        "name": "logs:CreateLogGroup.logGroupName",
        "kmsKeyId": "logs:CreateLogGroup.kmsKeyId",
        "logGroupClass": "logs:CreateLogGroup.logGroupClass",
        "retentionInDays": "logs:PutRetentionPolicy.retentionInDays",
    },
    "aws:iam/role:Role": {
        "name": "iam:CreateRole.RoleName",
        "path": "iam:CreateRole.Path",
        "description": "iam:CreateRole.Description",
        "assumeRolePolicy": "iam:CreateRole.AssumeRolePolicyDocument",
        "maxSessionDuration": "iam:CreateRole.MaxSessionDuration",
    },
    "aws:iam/rolePolicy:RolePolicy": {
        "name": "iam:PutRolePolicy.PolicyName",
        "policy": "iam:PutRolePolicy.PolicyDocument",
    },
    # --- environment stacks: database ----------------------------------------------------------
    "aws:rds/cluster:Cluster": {
        "clusterIdentifier": "rds:CreateDBCluster.DBClusterIdentifier",
        "engine": "rds:CreateDBCluster.Engine",
        "databaseName": "rds:CreateDBCluster.DatabaseName",
        "masterUsername": "rds:CreateDBCluster.MasterUsername",
        "port": "rds:CreateDBCluster.Port",
        "backupRetentionPeriod": "rds:CreateDBCluster.BackupRetentionPeriod",
        "preferredBackupWindow": "rds:CreateDBCluster.PreferredBackupWindow",
        "preferredMaintenanceWindow": "rds:CreateDBCluster.PreferredMaintenanceWindow",
        "serverlessv2ScalingConfiguration.minCapacity":
            "rds:CreateDBCluster.ServerlessV2ScalingConfiguration.MinCapacity",
        "serverlessv2ScalingConfiguration.maxCapacity":
            "rds:CreateDBCluster.ServerlessV2ScalingConfiguration.MaxCapacity",
        "serverlessv2ScalingConfiguration.secondsUntilAutoPause":
            "rds:CreateDBCluster.ServerlessV2ScalingConfiguration.SecondsUntilAutoPause",
        "databaseInsightsMode": "rds:CreateDBCluster.DatabaseInsightsMode",
        "clusterScalabilityType": "rds:CreateDBCluster.ClusterScalabilityType",
    },
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": {
        "parameters[].applyMethod": "rds:ModifyDBClusterParameterGroup.Parameters[].ApplyMethod",
    },
    "aws:rds/clusterInstance:ClusterInstance": {
        "promotionTier": "rds:CreateDBInstance.PromotionTier",
        "databaseInsightsMode": "rds:CreateDBInstance.DatabaseInsightsMode",
    },
    "aws:rds/subnetGroup:SubnetGroup": {
        "name": "rds:CreateDBSubnetGroup.DBSubnetGroupName",
    },
    # --- environment stacks: keys, log bucket, flow logs (components/workload_security.py, network.py)
    "aws:kms/key:Key": {
        "description": "kms:CreateKey.Description",
        "keyUsage": "kms:CreateKey.KeyUsage",
        "customerMasterKeySpec": "kms:CreateKey.KeySpec",
        "policy": "kms:CreateKey.Policy",
        "rotationPeriodInDays": "kms:EnableKeyRotation.RotationPeriodInDays",
        "deletionWindowInDays": "kms:ScheduleKeyDeletion.PendingWindowInDays",
    },
    "aws:kms/alias:Alias": {
        "name": "kms:CreateAlias.AliasName",
    },
    "aws:s3/bucket:Bucket": {
        "bucket": "s3:CreateBucket.Bucket",
    },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
        "rule.objectOwnership": "s3:PutBucketOwnershipControls.OwnershipControls.Rules[].ObjectOwnership",
    },
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {},  # four booleans
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "rules[].applyServerSideEncryptionByDefault.sseAlgorithm":
            "s3:PutBucketEncryption.ServerSideEncryptionConfiguration.Rules[].ApplyServerSideEncryptionByDefault"
            ".SSEAlgorithm",
    },
    "aws:s3/bucketVersioning:BucketVersioning": {
        "versioningConfiguration.status": "s3:PutBucketVersioning.VersioningConfiguration.Status",
    },
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
        "rules[].status": f"{_LIFECYCLE_RULE}.Status",
        "rules[].expiration.days": f"{_LIFECYCLE_RULE}.Expiration.Days",
        "rules[].noncurrentVersionExpiration.noncurrentDays":
            f"{_LIFECYCLE_RULE}.NoncurrentVersionExpiration.NoncurrentDays",
    },
    "aws:s3/bucketPolicy:BucketPolicy": {
        "policy": "s3:PutBucketPolicy.Policy",
    },
    "aws:ec2/flowLog:FlowLog": {
        "trafficType": "ec2:CreateFlowLogs.TrafficType",
        "logDestinationType": "ec2:CreateFlowLogs.LogDestinationType",
        "maxAggregationInterval": "ec2:CreateFlowLogs.MaxAggregationInterval",
    },
    "aws:secretsmanager/secret:Secret": {
        "name": "secretsmanager:CreateSecret.Name",
        "description": "secretsmanager:CreateSecret.Description",
        "kmsKeyId": "secretsmanager:CreateSecret.KmsKeyId",
        "recoveryWindowInDays": "secretsmanager:DeleteSecret.RecoveryWindowInDays",
    },
    "aws:secretsmanager/secretVersion:SecretVersion": {
        "secretString": "secretsmanager:PutSecretValue.SecretString",
        "versionStages": "secretsmanager:PutSecretValue.VersionStages",
        "versionStages[]": "secretsmanager:PutSecretValue.VersionStages[]",
    },
    # --- environment stacks: HTTP API ----------------------------------------------------------
    "aws:apigatewayv2/api:Api": {
        "protocolType": "apigatewayv2:CreateApi.ProtocolType",
        "ipAddressType": "apigatewayv2:CreateApi.IpAddressType",
        "corsConfiguration.maxAge": "apigatewayv2:CreateApi.CorsConfiguration.MaxAge",
    },
    "aws:apigatewayv2/integration:Integration": {
        "integrationType": "apigatewayv2:CreateIntegration.IntegrationType",
        "connectionType": "apigatewayv2:CreateIntegration.ConnectionType",
        "payloadFormatVersion": "apigatewayv2:CreateIntegration.PayloadFormatVersion",
        "timeoutMilliseconds": "apigatewayv2:CreateIntegration.TimeoutInMillis",
        "contentHandlingStrategy": "apigatewayv2:CreateIntegration.ContentHandlingStrategy",
        "passthroughBehavior": "apigatewayv2:CreateIntegration.PassthroughBehavior",
    },
    "aws:apigatewayv2/route:Route": {
        "routeKey": "apigatewayv2:CreateRoute.RouteKey",
        "authorizationType": "apigatewayv2:CreateRoute.AuthorizationType",
    },
    "aws:apigatewayv2/stage:Stage": {
        "defaultRouteSettings.loggingLevel": "apigatewayv2:CreateStage.DefaultRouteSettings.LoggingLevel",
        "routeSettings[].loggingLevel": "apigatewayv2:CreateStage.RouteSettings{}.LoggingLevel",
    },
    "aws:apigatewayv2/authorizer:Authorizer": {
        "authorizerType": "apigatewayv2:CreateAuthorizer.AuthorizerType",
        "authorizerResultTtlInSeconds": "apigatewayv2:CreateAuthorizer.AuthorizerResultTtlInSeconds",
    },
    "aws:apigatewayv2/vpcLink:VpcLink": {},  # name only (no constraint), subnet and group ids
    # --- environment stacks: frontend ----------------------------------------------------------
    "aws:amplify/app:App": {
        "name": "amplify:CreateApp.name",
        "description": "amplify:CreateApp.description",
        "repository": "amplify:CreateApp.repository",
        "platform": "amplify:CreateApp.platform",
        "buildSpec": "amplify:CreateApp.buildSpec",
        "customHeaders": "amplify:CreateApp.customHeaders",
        "customRules[].source": "amplify:CreateApp.customRules[].source",
        "customRules[].target": "amplify:CreateApp.customRules[].target",
        "customRules[].status": "amplify:CreateApp.customRules[].status",
        "customRules[].condition": "amplify:CreateApp.customRules[].condition",
        "environmentVariables{key}": "amplify:CreateApp.environmentVariables{key}",
        "environmentVariables{}": "amplify:CreateApp.environmentVariables{}",
    },
    "aws:amplify/branch:Branch": {
        "branchName": "amplify:CreateBranch.branchName",
        "description": "amplify:CreateBranch.description",
        "stage": "amplify:CreateBranch.stage",
        "framework": "amplify:CreateBranch.framework",
        "displayName": "amplify:CreateBranch.displayName",
        "buildSpec": "amplify:CreateBranch.buildSpec",
        "environmentVariables{key}": "amplify:CreateBranch.environmentVariables{key}",
        "environmentVariables{}": "amplify:CreateBranch.environmentVariables{}",
    },
}
API_MEMBERS.update(SECURITY_MEMBERS)  # the org stack's break-glass resources
API_MEMBERS.update(SECURITY_STACK_MEMBERS)  # the security stack

# Tags go through each service's own tagging call; every service applies the limits of AWS's tagging
# model (keys 1-128, values 0-256 characters), which the Resource Groups Tagging API model encodes.
TAG_MEMBERS: dict[str, str] = {
    "tags{key}": "resourcegroupstaggingapi:TagResources.Tags{key}",
    "tags{}": "resourcegroupstaggingapi:TagResources.Tags{}",
}

# Names Pulumi generates when the program sets none: the resource's name, "-" and 7 random hex digits
# (pulumi/sdk resource.NewUniqueHex; "name '...-' plus 7 random chars is longer than maximum length 32"
# is the provider's error for a load balancer or target group whose resource name is too long).
AUTONAME_SUFFIX = "-abc1234"
AUTONAMED: dict[str, str] = {
    "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/rolePolicy:RolePolicy": "name",
    "aws:ecs/cluster:Cluster": "name",
    "aws:ecs/service:Service": "name",
    "aws:appautoscaling/policy:Policy": "name",
    "aws:s3/bucket:Bucket": "bucket",
}


def services() -> list[str]:
    """Every botocore service the table names (what the extraction script loads)."""
    members = [m for fields in API_MEMBERS.values() for m in fields.values()] + list(TAG_MEMBERS.values())
    return sorted({member.split(":", 1)[0] for member in members})
