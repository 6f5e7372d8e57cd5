"""Run a stack's program in-process under Pulumi's mock runtime and record what it declares.

This is how the project is verified without a cloud: the tests, ``python -m deploy plan`` and the
CrossGuard tests all call :func:`simulate`. Nothing here talks to AWS or needs the Pulumi CLI.

The mocks stand in for the provider: every resource gets a deterministic fake id and the outputs a
real provider would compute (in camelCase, as the engine sends them), from ``_SYNTHESIZED`` below.
The org stack's outputs reach the environment stacks through the mocked ``StackReference`` and the
engine's ``readStackOutputs`` function, exactly as they would through the real ones.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func

from components import config as stack_config
from deploy import mock_outputs
from policies import documents

PROVIDER_TYPE_PREFIX = "pulumi:providers:"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
# The engine's built-in function that reads another stack's outputs (components/providers.py OrgStack).
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"


@dataclass
class RecordedResource:
    """One resource as the engine would receive it: inputs, options and the mocked outputs."""

    urn: str
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    custom: bool
    remote: bool
    parent: str | None
    provider: str | None  # URN of the explicit provider, None when the default provider would be used
    providers: dict[str, str]  # package -> provider URN, for components
    protect: bool
    ignore_changes: list[str]
    import_id: str | None
    dependencies: list[str]
    delete_before_replace: bool
    retain_on_delete: bool
    sequence: int = 0  # the order of registrations and reads together, as the engine receives them

    @property
    def is_provider(self) -> bool:
        return self.type.startswith(PROVIDER_TYPE_PREFIX)

    def provider_setting(self, key: str) -> Any:
        """A provider input, decoded: the SDK sends structured provider settings as JSON text."""
        return documents.parse_json_text(self.inputs.get(key))


@dataclass
class Recording:
    """Everything one program run declared, and the stack outputs it returned."""

    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    invoke_providers: list[str | None] = field(default_factory=list)  # provider URN of each invoke
    # Resources read with ``Resource.get(name, id)`` (the engine's ReadResource), in order.
    reads: list[RecordedResource] = field(default_factory=list)

    def of_type(self, type_: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> RecordedResource:
        matches = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(matches) != 1:
            raise AssertionError(f"expected one {type_} named {name!r}, found {len(matches)}")
        return matches[0]

    def by_urn(self, urn: str) -> RecordedResource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def by_id(self, id_: str) -> RecordedResource:
        for resource in self.resources:
            if resource.id == id_:
                return resource
        raise KeyError(id_)

    def provider_of(self, resource: RecordedResource) -> RecordedResource | None:
        """The explicit provider a custom resource is created with (None: the default provider)."""
        return self.by_urn(resource.provider) if resource.provider else None

    @property
    def custom_resources(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.custom and not r.is_provider]


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


# Outputs a real provider would compute, by resource type. Each returns (extra outputs); the id is
# derived from the type and name unless the function returns an "id" entry.
_SYNTHESIZED: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
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
        "arn": f"arn:aws:ecs:{_REGION}:{_WORKLOAD}:cluster/{inputs.get('name') or name}",
    },
    "aws:ecs/service:Service": lambda inputs, name: {"name": inputs.get("name") or name},
    "aws:ecs/taskDefinition:TaskDefinition": lambda inputs, name: {
        "arn": f"arn:aws:ecs:{_REGION}:{_WORKLOAD}:task-definition/{inputs.get('family') or name}:1",
        "revision": 1,
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda inputs, name: {
        "arn": f"arn:aws:logs:{_REGION}:{_WORKLOAD}:log-group:{inputs.get('name') or name}",
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
    **mock_outputs.SYNTHESIZED,
}


_REGION = "us-east-1"
_WORKLOAD = "123456789012"  # account of the mocked ARNs below; tests check providers, not these ids


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
    return {"arn": f"arn:aws:elasticloadbalancing:{_REGION}:{_WORKLOAD}:{suffix}", "arnSuffix": suffix}


def _load_balancer_outputs(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    outputs = _elb_arn(f"loadbalancer/app/{name[:32]}", name)
    outputs["arnSuffix"] = outputs["arnSuffix"].removeprefix("loadbalancer/")
    prefix = "internal-" if inputs.get("internal") else ""
    digits = fake_id("alb", name, digits=True, length=10)
    return {**outputs, "dnsName": f"{prefix}{name[:32]}-{digits}.{_REGION}.elb.amazonaws.com",
            "zoneId": "Z35SXDOTRQ7X7K"}


def _aurora_cluster_outputs(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    identifier = inputs.get("clusterIdentifier") or name
    host = f"{identifier}.cluster-{fake_id('aurora', length=12)}.{_REGION}.rds.amazonaws.com"
    outputs: dict[str, Any] = {
        "id": identifier,
        "clusterIdentifier": identifier,
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
        "port": inputs.get("port") or 5432,
        "arn": f"arn:aws:rds:{_REGION}:{_WORKLOAD}:cluster:{identifier}",
    }
    if inputs.get("manageMasterUserPassword"):
        # RDS names its managed secrets rds!cluster-<uuid>; Secrets Manager appends 6 random characters.
        secret = f"rds!cluster-{fake_id('secret', name, length=8)}-0000-0000-0000-000000000000-AbCdEf"
        outputs["masterUserSecrets"] = [
            {"secretArn": f"arn:aws:secretsmanager:{_REGION}:{_WORKLOAD}:secret:{secret}",
             "kmsKeyId": f"arn:aws:kms:{_REGION}:{_WORKLOAD}:key/aws-secretsmanager",
             "secretStatus": "active"}
        ]
    return outputs


def _http_api_outputs(name: str) -> dict[str, Any]:
    api_id = fake_id("http-api", name, length=10)
    return {
        "id": api_id,
        "apiEndpoint": f"https://{api_id}.execute-api.{_REGION}.amazonaws.com",
        "executionArn": f"arn:aws:execute-api:{_REGION}:{_WORKLOAD}:{api_id}",
        "arn": f"arn:aws:apigateway:{_REGION}::/apis/{api_id}",
    }


def _amplify_app_outputs(name: str) -> dict[str, Any]:
    app_id = f"d{fake_id('amplify', name, length=13)}"
    return {
        "id": app_id,
        "defaultDomain": f"{app_id}.amplifyapp.com",
        "arn": f"arn:aws:amplify:{_REGION}:{_WORKLOAD}:apps/{app_id}",
    }


def _secret_outputs(name: str) -> dict[str, Any]:
    # Secrets Manager appends a hyphen and 6 random characters to the secret's name in its ARN.
    arn = f"arn:aws:secretsmanager:{_REGION}:{_WORKLOAD}:secret:{name}-{fake_id('secret', name, length=6)}"
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


def _synthesize(type_: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    extra = _SYNTHESIZED.get(type_, lambda _i, _n: {})(inputs, name)
    resource_id = str(extra.pop("id", f"{name}-id"))
    state = {**inputs, **extra}
    state.setdefault("arn", f"arn:aws:mock:::{type_.split(':')[-1].lower()}/{name}")
    return resource_id, state


_CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
# Results of provider functions (invokes), by token.
_INVOKES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
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


class _Mocks(pulumi_mocks.Mocks):
    def __init__(
        self,
        recording: Recording,
        stack_outputs: Mapping[str, Mapping[str, Any]],
        invoke_results: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.recording = recording
        self.stack_outputs = stack_outputs
        self.invoke_results = invoke_results or {}

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if args.typ == STACK_REFERENCE:
            name = str(args.inputs.get("name", args.name))
            outputs = self.stack_outputs.get(name)
            if outputs is None:
                raise KeyError(f"no outputs are known for stack reference '{name}'")
            return name, {"name": name, "outputs": dict(outputs), "secretOutputNames": []}
        if not args.custom:
            # Local components echo their inputs. A remote component (awsx) listed in _SYNTHESIZED gets
            # only its synthesized outputs: its output properties differ from its inputs in name and type.
            synthesized = _SYNTHESIZED.get(args.typ)
            if synthesized:
                return f"{args.name}-component", synthesized(dict(args.inputs), args.name)
            return f"{args.name}-component", dict(args.inputs)
        inputs = dict(args.inputs)
        if args.typ == "aws:cognito/userPool:UserPool" and not inputs.get("region"):
            # The pool's endpoint (its JWT issuer) names the region of the provider it is created with.
            inputs["region"] = self._provider_region(args.provider)
        return _synthesize(args.typ, args.name, inputs)

    def _provider_region(self, reference: str | None) -> str | None:
        provider = self._provider(reference)
        return provider.inputs.get("region") if provider is not None else None

    def _provider(self, reference: str | None) -> RecordedResource | None:
        urn = _provider_urn(reference or "")
        return next((resource for resource in self.recording.resources if resource.urn == urn), None)

    def _pinned_account(self, reference: str | None) -> str | None:
        """The one account an explicit aws provider is pinned to (allowedAccountIds), if any."""
        provider = self._provider(reference)
        accounts = provider.provider_setting("allowedAccountIds") if provider is not None else None
        return str(accounts[0]) if isinstance(accounts, list) and len(accounts) == 1 else None

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        self.recording.invokes.append((args.token, dict(args.args)))
        self.recording.invoke_providers.append(_provider_urn(args.provider or ""))
        if args.token in self.invoke_results:
            return dict(self.invoke_results[args.token]), []
        if args.token == READ_STACK_OUTPUTS:  # the same outputs as the StackReference; unknown: a failure
            name, outputs = str(args.args.get("name")), self.stack_outputs.get(str(args.args.get("name")))
            if outputs is None:
                return {}, [("name", f"no outputs are known for stack '{name}'")]
            return {"name": name, "outputs": dict(outputs), "secretOutputNames": []}, []
        handler = _INVOKES.get(args.token)
        if handler is None:
            raise NotImplementedError(f"no mock result for provider function {args.token}")
        result = handler(dict(args.args))
        account = self._pinned_account(args.provider) if args.token == _CALLER_IDENTITY else None
        if account is not None:  # the provider refuses any other account: so does the mock
            result = {**result, "accountId": account, "arn": f"arn:aws:iam::{account}:user/mock"}
        return result, []


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor, plus a record of each registration's options (parent, provider, ...)."""

    def __init__(self, mocks: _Mocks) -> None:
        super().__init__(mocks)
        self.recording = mocks.recording

    def _next_sequence(self) -> int:
        return len(self.recording.resources) + len(self.recording.reads)

    def ReadResource(self, request: Any) -> Any:  # gRPC method name
        response = super().ReadResource(request)
        registered = self.resources[response.urn]
        self.recording.reads.append(
            RecordedResource(
                sequence=self._next_sequence(),
                urn=response.urn, type=request.type, name=request.name,
                inputs=rpc.deserialize_properties(request.properties), outputs=dict(registered.state),
                id=str(request.id), custom=True, remote=False, parent=request.parent or None,
                provider=_provider_urn(request.provider), providers={}, protect=False, ignore_changes=[],
                import_id=None, dependencies=list(request.dependencies), delete_before_replace=False,
                retain_on_delete=False,
            )
        )
        return response

    def RegisterResource(self, request: Any) -> Any:  # gRPC method name
        # Every registration is appended, so a duplicate URN shows twice (the mock keeps the last one).
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        registered = self.resources[response.urn]
        self.recording.resources.append(
            RecordedResource(
                sequence=self._next_sequence(),
                urn=response.urn,
                type=request.type,
                name=request.name,
                inputs=rpc.deserialize_properties(request.object),
                outputs=dict(registered.state),
                id=str(registered.id),
                custom=bool(request.custom),
                remote=bool(request.remote),
                parent=request.parent or None,
                provider=_provider_urn(request.provider),
                providers={k: _provider_urn(v) or "" for k, v in dict(request.providers).items()},
                protect=bool(request.protect),
                ignore_changes=list(request.ignoreChanges),
                import_id=request.importId or None,
                dependencies=list(request.dependencies),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
            )
        )
        return response


def _provider_urn(reference: str) -> str | None:
    """A provider reference is ``<urn>::<id>``; keep the URN."""
    if not reference:
        return None
    return reference.rsplit("::", 1)[0]


def simulate(
    stack: str,
    program: Callable[[], Mapping[str, Any]],
    *,
    raw_config: Mapping[str, Any] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    project: str = stack_config.PROJECT,
    recording: Recording | None = None,
    invoke_results: Mapping[str, Mapping[str, Any]] | None = None,
) -> Recording:
    """Run ``program`` as stack ``stack`` under mocks; return what it declared and its outputs.

    ``program`` returns the stack outputs (what ``__main__`` would export). ``raw_config`` is set as
    the engine's config (for code that reads ``pulumi.Config``); ``stack_outputs`` maps fully
    qualified stack names to the outputs a ``StackReference`` to them returns. Pass ``recording``
    to inspect what was declared even when the program raises. ``invoke_results`` replaces the
    mocked result of provider functions by token (e.g. an empty ``getInstances``).
    """
    recording = recording if recording is not None else Recording(stack=stack)
    mocks = _Mocks(recording, stack_outputs or {}, invoke_results)
    # The runtime's futures (the root stack resource's among them) belong to the loop current when
    # they are made, so the loop must exist before set_mocks.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=False,
                           monitor=_RecordingMonitor(mocks))
    set_all_config(stack_config.config_env(stack, raw_config or {}))
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()

    async def run() -> None:
        outputs = program()
        resolved = await pulumi.Output.from_input(dict(outputs)).future()
        recording.outputs = dict(resolved or {})

    try:
        loop.run_until_complete(run_pulumi_func(lambda: run()))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        settings.set_root_resource(None)  # type: ignore[arg-type]
    return recording
