"""What the mocks answer in place of the provider: the outputs of each resource type and the results of
provider functions (invokes), for ``deploy/simulate.py``.

The conventions: deterministic fake ids from the resource name, camelCase outputs as the engine sends
them, ARNs in the mocked region and workload account (tests check providers, not these ids).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"  # account of the mocked workload ARNs


def fake_id(*parts: str, digits: bool = False, length: int = 12) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    if digits:
        return str(int(digest, 16))[:length]
    return digest[:length]


def _account_outputs(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    account_id = inputs.get("importId") or fake_id("account", name, digits=True)
    return {"arn": f"arn:aws:organizations::111111111111:account/o-example/{account_id}", "status": "ACTIVE"}


def _user_pool_outputs(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    region = inputs.get("region") or "us-east-1"
    pool_id = f"{region}_{fake_id('user-pool', name, length=9)}"
    return {
        "id": pool_id,
        "arn": f"arn:aws:cognito-idp:{region}:222222222222:userpool/{pool_id}",
        "endpoint": f"cognito-idp.{region}.amazonaws.com/{pool_id}",
        "estimatedNumberOfUsers": 0,
    }


def _uuid(*parts: str) -> str:
    digest = fake_id(*parts, length=32)
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def _store_member(inputs: dict[str, Any], name: str, id_key: str) -> dict[str, Any]:
    """An identity-store object: resource id ``<store>/<object id>``, and the object id on its own."""
    object_id = _uuid(id_key, name)
    return {"id": f"{inputs.get('identityStoreId')}/{object_id}", id_key: object_id}


def _permission_set_outputs(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    instance_arn = str(inputs.get("instanceArn"))
    arn = f"arn:aws:sso:::permissionSet/{instance_arn.rpartition('/')[2]}/ps-{fake_id('ps', name, length=16)}"
    return {"id": f"{arn},{instance_arn}", "arn": arn, "createdDate": "2024-01-01T00:00:00Z"}


def kms_key(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    key_id = _uuid("kms-key", name)
    return {"id": key_id, "keyId": key_id, "arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"}


def bucket(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    # Autonamed as Pulumi does: the resource name, a hyphen and 7 random lowercase hex digits.
    bucket_name = inputs.get("bucket") or f"{name}-{fake_id('bucket', name, length=7)}"
    return {"id": bucket_name, "bucket": bucket_name, "arn": f"arn:aws:s3:::{bucket_name}",
            "bucketDomainName": f"{bucket_name}.s3.amazonaws.com", "region": REGION}


def cluster_parameter_group(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    group = inputs.get("name") or f"{name}-{fake_id('cluster-pg', name, length=7)}"
    return {"id": group, "name": group, "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-pg:{group}"}


def flow_log(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    flow_log_id = f"fl-{fake_id('flow-log', name, length=17)}"
    return {"id": flow_log_id, "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/{flow_log_id}"}


def _vpc_outputs(name: str) -> dict[str, Any]:
    def subnets(kind: str) -> list[str]:
        return [f"subnet-{fake_id(name, kind, str(index), length=17)}" for index in range(2)]

    return {
        "vpcId": f"vpc-{fake_id('vpc', name, length=17)}",
        "publicSubnetIds": subnets("public"),
        "privateSubnetIds": subnets("private"),
        "isolatedSubnetIds": subnets("isolated"),
    }


def _elb_arn(path: str, name: str) -> dict[str, Any]:
    suffix = f"{path}/{fake_id('elb', name, length=16)}"
    return {"arn": f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:{suffix}", "arnSuffix": suffix}


def _load_balancer_outputs(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    outputs = _elb_arn(f"loadbalancer/app/{name[:32]}", name)
    outputs["arnSuffix"] = outputs["arnSuffix"].removeprefix("loadbalancer/")
    prefix = "internal-" if inputs.get("internal") else ""
    digits = fake_id("alb", name, digits=True, length=10)
    return {**outputs, "dnsName": f"{prefix}{name[:32]}-{digits}.{REGION}.elb.amazonaws.com",
            "zoneId": "Z35SXDOTRQ7X7K"}


def _aurora_cluster_outputs(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    identifier = inputs.get("clusterIdentifier") or name
    host = f"{identifier}.cluster-{fake_id('aurora', length=12)}.{REGION}.rds.amazonaws.com"
    outputs: dict[str, Any] = {
        "id": identifier,
        "clusterIdentifier": identifier,
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "port": inputs.get("port") or 5432,
        "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:{identifier}",
    }
    if inputs.get("manageMasterUserPassword"):
        # RDS names its managed secrets rds!cluster-<uuid>; Secrets Manager appends 6 random characters.
        secret = f"rds!cluster-{fake_id('secret', name, length=8)}-0000-0000-0000-000000000000-AbCdEf"
        outputs["masterUserSecrets"] = [
            {"secretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret}",
             "kmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/aws-secretsmanager",
             "secretStatus": "active"}
        ]
    return outputs


def _http_api_outputs(name: str) -> dict[str, Any]:
    api_id = fake_id("http-api", name, length=10)
    return {
        "id": api_id,
        "apiEndpoint": f"https://{api_id}.execute-api.{REGION}.amazonaws.com",
        "executionArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}",
        "arn": f"arn:aws:apigateway:{REGION}::/apis/{api_id}",
    }


def _amplify_app_outputs(name: str) -> dict[str, Any]:
    app_id = f"d{fake_id('amplify', name, length=13)}"
    return {
        "id": app_id,
        "defaultDomain": f"{app_id}.amplifyapp.com",
        "arn": f"arn:aws:amplify:{REGION}:{ACCOUNT}:apps/{app_id}",
    }


def _secret_outputs(name: str) -> dict[str, Any]:
    # Secrets Manager appends a hyphen and 6 random characters to the secret's name in its ARN.
    arn = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-{fake_id('secret', name, length=6)}"
    return {"id": arn, "arn": arn}


def _secret_version(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    secret_id = str(inputs.get("secretId"))
    version_id = _uuid("secret-version", name)
    return {"id": f"{secret_id}|{version_id}", "arn": secret_id, "secretArn": secret_id,
            "versionId": version_id, "versionStages": ["AWSCURRENT"]}


def _random_password(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    """A fixed password per resource name, from the character classes the inputs allow (no special)."""
    classes = {"lower": "abcdefghijkmnopqrstuvwxyz", "upper": "ABCDEFGHJKLMNPQRSTUVWXYZ",
               "numeric": "23456789", "special": "!#$%&*()-_=+[]{}<>:?"}
    alphabet = "".join(chars for key, chars in classes.items() if inputs.get(key, True) is not False)
    digest = int(fake_id("password", name, length=64), 16)
    length = int(inputs.get("length") or 16)
    result = "".join(alphabet[(digest >> (6 * index)) % len(alphabet)] for index in range(length))
    return {"id": "none", "result": result, "bcryptHash": f"$2a$10${fake_id('bcrypt', name, length=53)}"}



# Outputs a real provider would compute, by resource type. Each returns (extra outputs); the id is
# derived from the type and name unless the function returns an "id" entry.
SYNTHESIZED: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "aws:organizations/organization:Organization": lambda inputs, name: {
        "id": "o-exampleorg1",
        "arn": "arn:aws:organizations::111111111111:organization/o-exampleorg1",
        "masterAccountId": "111111111111",
        "roots": [
            {"id": "r-exmp", "arn": "arn:aws:organizations::111111111111:root/o-exampleorg1/r-exmp",
             "name": "Root", "policyTypes": []}
        ],
    },
    "aws:organizations/organizationalUnit:OrganizationalUnit": lambda inputs, name: {
        "id": f"ou-exmp-{fake_id('ou', name, length=8)}",
    },
    "aws:organizations/account:Account": lambda inputs, name: {
        "id": fake_id("account", name, digits=True),
        **_account_outputs(inputs, name),
    },
    "aws:organizations/policy:Policy": lambda inputs, name: {"id": f"p-{fake_id('scp', name, length=8)}"},
    # The organization trail (stack security) lives in the management account: its ARN names the trail.
    "aws:cloudtrail/trail:Trail": lambda inputs, name: {
        "arn": f"arn:aws:cloudtrail:{REGION}:111111111111:trail/{inputs.get('name') or name}",
    },
    # Identity Center (stack org): the identity store's own ids differ from the resource ids.
    "aws:identitystore/user:User": lambda inputs, name: _store_member(inputs, name, "userId"),
    "aws:identitystore/group:Group": lambda inputs, name: _store_member(inputs, name, "groupId"),
    "aws:identitystore/groupMembership:GroupMembership": lambda inputs, name: _store_member(
        inputs, name, "membershipId"
    ),
    "aws:ssoadmin/permissionSet:PermissionSet": lambda inputs, name: _permission_set_outputs(inputs, name),
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": lambda inputs, name: {
        "id": f"{inputs.get('permissionSetArn')},{inputs.get('instanceArn')}",
    },
    "aws:ssoadmin/accountAssignment:AccountAssignment": lambda inputs, name: {
        "id": ",".join(
            str(inputs.get(key))
            for key in ("principalId", "principalType", "targetId", "targetType", "permissionSetArn",
                        "instanceArn")
        ),
    },
    # Cognito (environment stacks)
    "aws:cognito/userPool:UserPool": lambda inputs, name: _user_pool_outputs(inputs, name),
    "aws:cognito/userPoolClient:UserPoolClient": lambda inputs, name: {
        "id": fake_id("cognito-client", name, length=26), "clientSecret": "",
    },
    "aws:cognito/userGroup:UserGroup": lambda inputs, name: {
        "id": f"{inputs.get('userPoolId')}/{inputs.get('name')}",
    },
    "aws:cognito/userPoolDomain:UserPoolDomain": lambda inputs, name: {
        "id": str(inputs.get("domain")),
        "cloudfrontDistribution": f"d{fake_id('cognito-domain', name)}.cloudfront.net",
        "cloudfrontDistributionZoneId": "Z2FDTNDATAQYW2",
        "version": "20240101000000",
    },
    # Tasks Service (environment stacks). awsx's Vpc is a remote component: under mocks it is one
    # opaque resource, so its outputs (plain ids) come from here; its children are never registered.
    "awsx:ec2:Vpc": lambda inputs, name: _vpc_outputs(name),
    "aws:lb/loadBalancer:LoadBalancer": lambda inputs, name: _load_balancer_outputs(inputs, name),
    "aws:lb/targetGroup:TargetGroup": lambda inputs, name: _elb_arn(f"targetgroup/{name[:32]}", name),
    "aws:lb/listener:Listener": lambda inputs, name: _elb_arn(f"listener/app/{name[:32]}", name),
    "aws:rds/cluster:Cluster": lambda inputs, name: _aurora_cluster_outputs(inputs, name),
    "aws:rds/subnetGroup:SubnetGroup": lambda inputs, name: {"name": inputs.get("name") or name},
    "aws:ecs/cluster:Cluster": lambda inputs, name: {
        "name": inputs.get("name") or name,
        "arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{inputs.get('name') or name}",
    },
    "aws:ecs/service:Service": lambda inputs, name: {"name": inputs.get("name") or name},
    "aws:ecs/taskDefinition:TaskDefinition": lambda inputs, name: {
        "arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{inputs.get('family') or name}:1",
        "revision": 1,
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda inputs, name: {
        "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{inputs.get('name') or name}",
    },
    "aws:apigatewayv2/api:Api": lambda inputs, name: _http_api_outputs(name),
    "aws:apigatewayv2/vpcLink:VpcLink": lambda inputs, name: {"id": fake_id("vpc-link", name, length=6)},
    "aws:apigatewayv2/integration:Integration": lambda inputs, name: {"id": fake_id("integ", name, length=7)},
    "aws:apigatewayv2/authorizer:Authorizer": lambda inputs, name: {"id": fake_id("authz", name, length=6)},
    "aws:amplify/app:App": lambda inputs, name: _amplify_app_outputs(name),
    # The database connection secret (components/tasks_database.py). The provider's Secret id is its ARN.
    "aws:secretsmanager/secret:Secret": lambda inputs, name: _secret_outputs(name),
    "aws:secretsmanager/secretVersion:SecretVersion": lambda inputs, name: _secret_version(inputs, name),
    "random:index/randomPassword:RandomPassword": lambda inputs, name: _random_password(inputs, name),
    # The workload's keys, access-log bucket, parameter group and flow log.
    "aws:kms/key:Key": kms_key,
    "aws:s3/bucket:Bucket": bucket,
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": cluster_parameter_group,
    "aws:ec2/flowLog:FlowLog": flow_log,
    # Break-glass (org stack, management account): ARNs in the shape AWS gives them.
    "aws:iam/user:User": lambda inputs, name: {
        "arn": f"arn:aws:iam::111111111111:user{inputs.get('path') or '/'}{inputs.get('name') or name}",
    },
    "aws:sns/topic:Topic": lambda inputs, name: {
        "arn": f"arn:aws:sns:{inputs.get('region') or REGION}:111111111111:{inputs.get('name') or name}",
    },
    "aws:cloudwatch/eventRule:EventRule": lambda inputs, name: {
        "arn": f"arn:aws:events:{inputs.get('region') or REGION}:111111111111:rule/"
               f"{inputs.get('name') or name}",
    },
}


def synthesize(type_: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    extra = SYNTHESIZED.get(type_, lambda _i, _n: {})(inputs, name)
    resource_id = str(extra.pop("id", f"{name}-id"))
    state = {**inputs, **extra}
    state.setdefault("arn", f"arn:aws:mock:::{type_.split(':')[-1].lower()}/{name}")
    return resource_id, state


CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
# Results of provider functions (invokes), by token.
INVOKES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": lambda args: {
        "accountId": "111111111111", "arn": "arn:aws:iam::111111111111:user/mock", "userId": "mock"
    },
    "aws:index/getRegion:getRegion": lambda args: {"name": "us-east-1", "region": "us-east-1"},
    "aws:index/getPartition:getPartition": lambda args: {"partition": "aws", "dnsSuffix": "amazonaws.com"},
    # Identity Center enabled in the requested region (a test can override this to have none).
    "aws:ssoadmin/getInstances:getInstances": lambda args: {
        "id": args.get("region") or "us-east-1",
        "region": args.get("region") or "us-east-1",
        "arns": ["arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6"],
        "identityStoreIds": ["d-9067a1b2c3"],
    },
    # Tasks Service: the frontend's GitHub access token, when a secret is configured.
    "aws:secretsmanager/getSecretVersion:getSecretVersion": lambda args: {
        "id": f"{args.get('secretId')}|AWSCURRENT",
        "arn": str(args.get("secretId")),
        "secretId": args.get("secretId"),
        "secretString": "mock-access-token",
        "versionId": "00000000-0000-0000-0000-000000000000",
        "versionStage": "AWSCURRENT",
        "versionStages": ["AWSCURRENT"],
        "createdDate": "2024-01-01T00:00:00Z",
        "secretBinary": "",
    },
}
