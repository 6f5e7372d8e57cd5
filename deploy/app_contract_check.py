"""Stack check: the recorded task definition gives the Tasks image what it needs to start.

The image's start-up contract is data (components/tasks_image_contract.json, read from the image's
source). Under mocks the program always "works"; on AWS a task whose container lacks a variable, listens
on another port or gets a secret of the wrong shape starts, fails its health check and is rolled back by
the circuit breaker, and nothing says why. So ``plan`` compares what the program declared with the
contract, in every environment recording:

- the task definition: runtime platform (ARM64), the container running the contract's image, its
  port mapping, each plain variable present with the value it must equal (``TIME_ZONE_ID`` = the
  stack's ``service.timeZoneId``; ``QUARKUS_OIDC_AUTH_SERVER_URL`` = the recorded user pool's issuer,
  ``https://`` + its ``endpoint``), and no database secret or password among the plain variables;
- the database secret variable: set through ``secrets`` from a secret this stack writes (not RDS's
  managed master secret, which holds only username and password), the whole JSON (no json-key), of the
  version this stack writes; that version's recorded ``secretString`` has the keys the image's parser
  requires and no key it rejects, and names the recorded cluster's endpoint, port, database, user and
  password;
- the execution role may read that secret (ECS reads it with that role at task start) and no other;
- the ECS service's load balancer and the target group's health check use the contract's port and path;
- with a read-only root file system, every path the image writes to (``writablePaths``: ``/tmp``) is
  mounted writable from a volume the task definition declares (ECS refuses a mount of an undeclared
  volume; without the mount the image fails at start);
- a cluster that requires TLS (``rds.force_ssl`` = 1 in its parameter group) only when the image's
  database client negotiates TLS (``databaseTls``);
- no stack output carries the password or the secret's JSON.

Each finding names the resource and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi.runtime import rpc

from components import config as stack_config
from components.app_contract import ISSUER_URL, TASKS_IMAGE, TIME_ZONE_ID, ImageContract
from deploy.simulate import RecordedResource, Recording
from deploy.stack_checks import ERROR, WARNING, Finding, StackContext

CHECK = "app contract"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECS_SERVICE = "aws:ecs/service:Service"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
USER_POOL = "aws:cognito/userPool:UserPool"
AURORA_CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
FORCE_TLS = ("rds.force_ssl", "1")
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
# A Secrets Manager ARN has 7 colon-separated fields; ECS's valueFrom may add :json-key:stage:version-id
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
SECRET_ARN_FIELDS = 7
# RDS's managed master user secret holds only these keys
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html).
RDS_MANAGED_SECRET_KEYS = ("username", "password")


def plain(value: Any) -> Any:
    """A recorded value without the engine's secret wrapper (``{sig: secret, value: ...}``)."""
    if isinstance(value, Mapping) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return plain(value.get("value"))
    return value


def _text(value: Any) -> str:
    """A recorded scalar as the image reads it: the engine sends every number as a float."""
    value = plain(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unknown(value: Any) -> bool:
    return plain(value) == rpc.UNKNOWN


def _where(resource: RecordedResource) -> str:
    return f"{resource.name} ({resource.type})"


class _Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []

    def error(self, resource: RecordedResource | str, message: str) -> None:
        where = resource if isinstance(resource, str) else _where(resource)
        self.items.append(Finding(CHECK, ERROR, where, message))

    def warning(self, resource: RecordedResource | str, message: str) -> None:
        where = resource if isinstance(resource, str) else _where(resource)
        self.items.append(Finding(CHECK, WARNING, where, message))


def check_app_contract(context: StackContext, contract: ImageContract = TASKS_IMAGE) -> list[Finding]:
    """The start-up contract of the Tasks image against one stack's recording (environment stacks)."""
    recording = context.recording
    if recording is None or not recording.of_type(TASK_DEFINITION):
        return []
    found = _Findings()
    expected = _expected_values(context, recording, found)
    password: str | None = None
    for task in recording.of_type(TASK_DEFINITION):
        container = _app_container(task, contract, found)
        if container is None:
            continue
        _check_platform(task, contract, found)
        _check_port(task, container, contract, found)
        _check_file_system(task, container, contract, found)
        password = _check_database_secret(recording, task, container, contract, found) or password
        _check_environment(task, container, contract, expected, password, found)
    _check_service_and_health(recording, contract, found)
    _check_database_tls(recording, contract, found)
    _check_outputs(recording, password, found)
    return found.items


def _expected_values(context: StackContext, recording: Recording, found: _Findings) -> dict[str, str | None]:
    settings = context.settings
    time_zone = settings.service.time_zone_id if isinstance(settings, stack_config.EnvConfig) else None
    pools = recording.of_type(USER_POOL)
    issuer: str | None = None
    if len(pools) == 1 and isinstance(pools[0].outputs.get("endpoint"), str):
        issuer = f"https://{pools[0].outputs['endpoint']}"  # the pool's JWT issuer
    else:
        found.warning(context.source, f"{len(pools)} user pools recorded: the issuer variable is not checked")
    return {TIME_ZONE_ID: time_zone, ISSUER_URL: issuer}


def _app_container(
    task: RecordedResource, contract: ImageContract, found: _Findings
) -> dict[str, Any] | None:
    text = task.inputs.get("containerDefinitions")
    if _unknown(text):
        found.warning(task, "containerDefinitions is not known in this recording: contract not checked")
        return None
    try:
        containers = json.loads(str(plain(text)))
    except json.JSONDecodeError as error:
        found.error(task, f"containerDefinitions is not JSON ({error})")
        return None
    if not isinstance(containers, list) or not all(isinstance(c, dict) for c in containers):
        found.error(task, "containerDefinitions is not a list of container definitions")
        return None
    running = [c for c in containers if c.get("image") == contract.image]
    if running:
        return running[0]
    if len(containers) == 1:
        found.warning(
            task,
            f"containerDefinitions[0].image is {containers[0].get('image')!r}: the start-up contract was read"
            f" from {contract.image} and is checked as if it applied",
        )
        return containers[0]
    found.error(task, f"containerDefinitions: no container runs {contract.image}")
    return None


def _check_platform(task: RecordedResource, contract: ImageContract, found: _Findings) -> None:
    platform = task.inputs.get("runtimePlatform") or {}
    architecture = platform.get("cpuArchitecture") or "X86_64"  # ECS's default when unset
    if architecture != contract.cpu_architecture:
        found.error(
            task,
            f"runtimePlatform.cpuArchitecture is {architecture}; the image is built for"
            f" {contract.cpu_architecture} only and would not start (exec format error)",
        )
    family = platform.get("operatingSystemFamily") or "LINUX"
    if family != contract.operating_system_family:
        found.error(
            task, f"runtimePlatform.operatingSystemFamily is {family}, not {contract.operating_system_family}"
        )


def _name(container: Mapping[str, Any]) -> str:
    return f"containerDefinitions[{container.get('name', '?')}]"


def _check_port(
    task: RecordedResource, container: Mapping[str, Any], contract: ImageContract, found: _Findings
) -> None:
    ports = [m.get("containerPort") for m in container.get("portMappings") or [] if isinstance(m, Mapping)]
    ports = [int(port) if isinstance(port, float) else port for port in ports]
    if contract.container_port not in ports:
        found.error(
            task,
            f"{_name(container)}.portMappings maps {ports or 'no port'}; the image listens on"
            f" {contract.container_port}",
        )


def _check_file_system(
    task: RecordedResource, container: Mapping[str, Any], contract: ImageContract, found: _Findings
) -> None:
    if container.get("readonlyRootFilesystem") is not True:
        return
    volumes = {v.get("name") for v in task.inputs.get("volumes") or [] if isinstance(v, Mapping)}
    mounts = {
        m.get("containerPath"): m for m in container.get("mountPoints") or [] if isinstance(m, Mapping)
    }
    for writable in contract.writable_paths:
        mount = mounts.get(writable.path)
        field = f"{_name(container)}.mountPoints[{writable.path}]"
        if mount is None:
            found.error(
                task,
                f"{_name(container)}.readonlyRootFilesystem is true and nothing writable is mounted at"
                f" {writable.path}, where the image writes when it starts: {writable.why}",
            )
        elif mount.get("readOnly") is True:
            found.error(task, f"{field} is read-only; the image writes there when it starts")
        elif mount.get("sourceVolume") not in volumes:
            found.error(
                task,
                f"{field} mounts volume {mount.get('sourceVolume')!r}, which the task definition does not"
                " declare in volumes (RegisterTaskDefinition refuses it)",
            )


def _check_database_tls(recording: Recording, contract: ImageContract, found: _Findings) -> None:
    if contract.database_tls:
        return
    groups = {g.outputs.get("name"): g for g in recording.of_type(CLUSTER_PARAMETER_GROUP)}
    for cluster in recording.of_type(AURORA_CLUSTER):
        group = groups.get(plain(cluster.inputs.get("dbClusterParameterGroupName")))
        parameters = group.inputs.get("parameters") or [] if group is not None else []
        if any((p.get("name"), _text(p.get("value"))) == FORCE_TLS for p in parameters):
            found.error(
                cluster,
                f"requires TLS ({FORCE_TLS[0]} = 1 in {group and group.name}), but the image's database"
                " client does not negotiate TLS (contract databaseTls): every connection would be refused",
            )


def _check_environment(
    task: RecordedResource,
    container: Mapping[str, Any],
    contract: ImageContract,
    expected: Mapping[str, str | None],
    password: str | None,
    found: _Findings,
) -> None:
    environment = {
        str(item.get("name")): item.get("value")
        for item in container.get("environment") or []
        if isinstance(item, Mapping)
    }
    for variable, source in contract.environment.items():
        field = f"{_name(container)}.environment.{variable}"
        if variable not in environment:
            found.error(task, f"{field} is not set; the image reads it ({source})")
        elif expected.get(source) is not None and environment[variable] != expected[source]:
            found.error(
                task, f"{field} is {environment[variable]!r}; it must be {expected[source]!r} ({source})"
            )
    secret_variable = contract.database_secret.variable
    if secret_variable in environment:
        found.error(
            task,
            f"{_name(container)}.environment.{secret_variable} is a plain value: the database credentials"
            " would be readable in the task definition; inject it through secrets",
        )
    for variable, value in environment.items():
        if password and password in str(value):
            found.error(
                task, f"{_name(container)}.environment.{variable} holds the database password in plain text"
            )


def _secret_reference(
    task: RecordedResource, container: Mapping[str, Any], variable: str, found: _Findings
) -> tuple[str, str, str] | None:
    """(secret ARN, json key, version id) of ``variable``'s ``valueFrom``; None (with a finding) if absent."""
    references = [
        item.get("valueFrom") for item in container.get("secrets") or []
        if isinstance(item, Mapping) and item.get("name") == variable
    ]
    field = f"{_name(container)}.secrets.{variable}"
    if not references:
        found.error(
            task,
            f"{field} is not set: the image then has no datasource URL and cannot start"
            " (it reads host, port, dbname, username and password from this one JSON variable)",
        )
        return None
    parts = str(references[0]).split(":")
    extra = [*parts[SECRET_ARN_FIELDS:], "", "", ""][:3]
    return ":".join(parts[:SECRET_ARN_FIELDS]), extra[0], extra[2]


def _check_database_secret(
    recording: Recording,
    task: RecordedResource,
    container: Mapping[str, Any],
    contract: ImageContract,
    found: _Findings,
) -> str | None:
    """Check the secret variable end to end; return the recorded password when it is known."""
    spec = contract.database_secret
    reference = _secret_reference(task, container, spec.variable, found)
    if reference is None:
        return None
    arn, json_key, version_id = reference
    field = f"{_name(container)}.secrets.{spec.variable}"
    if json_key:
        found.error(task, f"{field} injects only the JSON key {json_key!r}; the image needs the whole JSON")
    secret = next((s for s in recording.of_type(SECRET) if s.outputs.get("arn") == arn), None)
    if secret is None:
        _unknown_secret(recording, task, field, arn, spec.required_keys, found)
        return None
    _check_execution_role(recording, task, arn, found)
    versions = [
        v for v in recording.of_type(SECRET_VERSION) if plain(v.inputs.get("secretId")) in (secret.id, arn)
    ]
    if version_id:
        versions = [v for v in versions if v.outputs.get("versionId") == version_id]
        if not versions:
            found.error(task, f"{field} names version {version_id}, which this stack does not write")
            return None
    if len(versions) != 1:
        found.error(secret, f"{len(versions)} secret versions written; the tasks need exactly one")
        return None
    return _check_secret_document(recording, versions[0], contract, found)


def _unknown_secret(
    recording: Recording, task: RecordedResource, field: str, arn: str, required: tuple[str, ...],
    found: _Findings,
) -> None:
    for cluster in recording.of_type(AURORA_CLUSTER):
        managed = [s.get("secretArn") for s in cluster.outputs.get("masterUserSecrets") or []]
        if arn in managed:
            missing = [key for key in required if key not in RDS_MANAGED_SECRET_KEYS]
            found.error(
                task,
                f"{field} is the RDS-managed master secret of {cluster.name}: it holds only"
                f" {' and '.join(RDS_MANAGED_SECRET_KEYS)} (lacks {', '.join(missing)}), and RDS rotates it"
                " while running tasks keep the old password",
            )
            return
    found.error(task, f"{field} names {arn}, a secret this stack does not write: its keys cannot be checked")


def _check_secret_document(
    recording: Recording, version: RecordedResource, contract: ImageContract, found: _Findings
) -> str | None:
    text = version.inputs.get("secretString")
    if text is None:
        found.error(version, "secretString is not set (a binary or write-only value cannot be checked)")
        return None
    if _unknown(text):
        found.warning(version, "secretString is not known in this recording: its keys are not checked")
        return None
    try:
        document = json.loads(str(plain(text)))
    except json.JSONDecodeError:
        found.error(version, "secretString is not JSON; the image parses it as a JSON object")
        return None
    for problem in contract.database_secret.problems(document):
        found.error(version, f"secretString {problem}")
    if not isinstance(document, Mapping):
        return None
    _check_against_cluster(recording, version, document, found)
    password = document.get("password")
    return password if isinstance(password, str) and password else None


def _check_against_cluster(
    recording: Recording, version: RecordedResource, document: Mapping[str, Any], found: _Findings
) -> None:
    """The JSON names the cluster as recorded: the image would otherwise connect somewhere else."""
    host = document.get("host")
    clusters = [c for c in recording.of_type(AURORA_CLUSTER) if c.outputs.get("endpoint") == host]
    if len(clusters) != 1:
        found.error(version, f"secretString host {host!r} is not the endpoint of a recorded Aurora cluster")
        return
    cluster = clusters[0]
    expected = {
        "port": cluster.outputs.get("port"),
        "dbname": plain(cluster.inputs.get("databaseName")),
        "username": plain(cluster.inputs.get("masterUsername")),
        "password": plain(cluster.inputs.get("masterPassword")),
    }
    for key, value in expected.items():
        if key in document and not _unknown(value) and _text(document[key]) != _text(value):
            shown = "the cluster's master password" if key == "password" else repr(value)
            found.error(version, f"secretString {key} differs from {cluster.name}'s ({shown})")


def _check_execution_role(recording: Recording, task: RecordedResource, arn: str, found: _Findings) -> None:
    role_arn = task.inputs.get("executionRoleArn")
    role = next((r for r in recording.of_type(ROLE) if r.outputs.get("arn") == role_arn), None)
    if role is None:
        found.error(task, "executionRoleArn is not a role of this stack: ECS reads the secret with it")
        return
    readable: list[str] = []
    for policy in recording.of_type(ROLE_POLICY):
        if policy.inputs.get("role") not in (role.id, role.outputs.get("name")):
            continue
        try:
            document = json.loads(str(plain(policy.inputs.get("policy"))))
        except json.JSONDecodeError:
            found.warning(policy, "policy is not known JSON in this recording: not checked")
            continue
        statements = document.get("Statement")
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement.get("Effect") == "Allow" and any(
                str(action).lower().startswith("secretsmanager:") or action == "*"
                for action in _listed(statement.get("Action"))
            ):
                readable.extend(str(resource) for resource in _listed(statement.get("Resource")))
    if arn not in readable:
        found.error(role, f"may not read {arn} (secretsmanager:GetSecretValue): no task could start")
    others = sorted(set(readable) - {arn})
    if others:
        found.error(role, f"may also use Secrets Manager on {', '.join(others)}; only {arn} is needed")


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_service_and_health(recording: Recording, contract: ImageContract, found: _Findings) -> None:
    target_groups = {t.outputs.get("arn"): t for t in recording.of_type(TARGET_GROUP)}
    for service in recording.of_type(ECS_SERVICE):
        for index, balancer in enumerate(service.inputs.get("loadBalancers") or []):
            if _text(balancer.get("containerPort")) != str(contract.container_port):
                found.error(
                    service,
                    f"loadBalancers[{index}].containerPort is {balancer.get('containerPort')}; the image"
                    f" listens on {contract.container_port}",
                )
            target = target_groups.get(balancer.get("targetGroupArn"))
            if target is not None:
                _check_target_group(target, contract, found)


def _check_target_group(target: RecordedResource, contract: ImageContract, found: _Findings) -> None:
    check = target.inputs.get("healthCheck") or {}
    path = check.get("path") or "/"  # ELB's default path
    if path != contract.health_check_path:
        found.error(
            target,
            f"healthCheck.path is {path!r}; the image answers its liveness on {contract.health_check_path!r},"
            " so every task would be marked unhealthy",
        )
    port = _text(target.inputs.get("port"))
    if port != str(contract.container_port) and check.get("port") in (None, "traffic-port"):
        found.error(
            target, f"port is {port} (the health check's traffic port); the image listens on"
            f" {contract.container_port}"
        )


def _check_outputs(recording: Recording, password: str | None, found: _Findings) -> None:
    if not password:
        return
    for name, value in _flatten("", recording.outputs):
        if password in str(value):
            found.error(f"stack output {name}", "contains the database password")


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), item)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _flatten(f"{prefix}[{index}]", item)
    else:
        yield prefix, value
