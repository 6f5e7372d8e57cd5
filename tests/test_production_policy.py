"""The CrossGuard rule ``production-invariants`` on the resources a production program recorded under
mocks, each fault injected into a copy: the rule names the resource at fault; a configured opt-out (the
driver derives it from ``productionOptOuts``) accepts exactly that lowered protection; other stacks are
not judged."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import PolicyResource

from deploy.simulate import STACK_REFERENCE, RecordedResource, Recording
from policies import guardrails as g
from policies import production
from tests.conftest import run_env_stack
from tests.test_guardrails import OPTS
from tests.test_production_config import ORG_OUTPUTS, OUS, env

RULE = "production-invariants"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
API = "aws:apigatewayv2/api:Api"
SECRET = "aws:secretsmanager/secret:Secret"
PASSWORD = "random:index/randomPassword:RandomPassword"
ALB = "aws:lb/loadBalancer:LoadBalancer"


@functools.cache
def _recorded() -> Recording:
    return run_env_stack("prod", env(), org_outputs=ORG_OUTPUTS)


def resources(recording: Recording, org_outputs: dict[str, Any] | None = None) -> list[PolicyResource]:
    """The stack as the engine hands it to stack policies, with the org stack reference it read."""
    [read] = [r for r in recording.reads if r.type == STACK_REFERENCE]
    outputs = org_outputs if org_outputs is not None else read.outputs["outputs"]
    props = {"outputs": outputs, "id": read.id}
    reference = PolicyResource(STACK_REFERENCE, props, read.urn, read.name, OPTS, None, None, [], {})
    return [*g.stack_resources(recording), reference]


def findings(recording: Recording, *, stack: str = "prod", org_outputs: dict[str, Any] | None = None,
             **config: Any) -> list[tuple[str, str | None]]:
    return g.check_stack(RULE, resources(recording, org_outputs), stack=stack, config=config)


def one(recording: Recording, type_: str) -> RecordedResource:
    return recording.of_type(type_)[0]


def change(type_: str, **values: Any) -> Callable[[Recording], RecordedResource]:
    def fault(recording: Recording) -> RecordedResource:
        target = one(recording, type_)
        for props in (target.inputs, target.outputs):
            props.update(values)
        return target

    return fault


def unprotect(type_: str) -> Callable[[Recording], RecordedResource]:
    def fault(recording: Recording) -> RecordedResource:
        target = one(recording, type_)
        target.protect = False
        return target

    return fault


def test_the_production_program_complies() -> None:
    assert findings(_recorded()) == []
    assert [v for v in g.check_recording(_recorded()) if v.policy == RULE] == []


# (protection lowered, the opt-out that allows it, what the message says)
PROTECTION_FAULTS: list[tuple[Callable[[Recording], RecordedResource], str, str]] = [
    (unprotect(g.USER_POOL), "userPool.protect", "Pulumi protect is off"),
    (change(g.USER_POOL, deletionProtection="INACTIVE"), "userPool.deletionProtection",
     "deletionProtection is not ACTIVE"),
    (unprotect(g.RDS_CLUSTER), "database.protect", "Pulumi protect is off"),
    (unprotect(g.RDS_CLUSTER_INSTANCE), "database.protect", "Pulumi protect is off"),
    (unprotect(PASSWORD), "database.protect", "Pulumi protect is off"),
    (change(g.RDS_CLUSTER, deletionProtection=False), "database.deletionProtection",
     "deletionProtection is not true"),
    (change(g.RDS_CLUSTER, skipFinalSnapshot=True), "database.finalSnapshot",
     "no final snapshot on deletion"),
    (unprotect(SECRET), "databaseSecret.protect", "Pulumi protect is off"),
    (change(SECRET, recoveryWindowInDays=0), "databaseSecret.protect", "recoveryWindowInDays is below 7"),
    (unprotect(ALB), "loadBalancer.protect", "Pulumi protect is off"),
    (change(ALB, enableDeletionProtection=False), "loadBalancer.deletionProtection",
     "enableDeletionProtection is not true"),
]


def test_every_protection_has_a_fault() -> None:
    assert {name for _, name, _ in PROTECTION_FAULTS} == set(production.OPT_OUTS)


@pytest.mark.parametrize(("fault", "opt_out", "what"), PROTECTION_FAULTS,
                         ids=[f"{name}-{i}" for i, (_, name, _) in enumerate(PROTECTION_FAULTS)])
def test_a_lowered_protection_is_caught_unless_opted_out(
    fault: Callable[[Recording], RecordedResource], opt_out: str, what: str
) -> None:
    faulty = copy.deepcopy(_recorded())
    at_fault = fault(faulty)
    [(message, urn)] = findings(faulty)
    assert urn == at_fault.urn
    assert message == (f"'{at_fault.name}': {what} in a production stack (opt-out '{opt_out}' is not "
                       "configured)")
    assert findings(faulty, optOuts=[production.opt_out_setting("prod", opt_out)]) == []
    assert findings(faulty, optOuts=[production.opt_out_setting("pre", opt_out)]) != []  # another stack's
    assert findings(faulty, stack="pre") == []  # not a production stack


def _public_http(recording: Recording) -> RecordedResource:
    change(ALB, internal=False)(recording)
    return one(recording, "aws:lb/listener:Listener")


def _public_subnet(recording: Recording) -> RecordedResource:
    public = one(recording, g.AWSX_VPC).outputs["publicSubnetIds"][0]
    service = one(recording, g.ECS_SERVICE)
    for props in (service.inputs, service.outputs):
        props["networkConfiguration"] = {**props["networkConfiguration"], "subnets": [public]}
    return service


def _public_ip(recording: Recording) -> RecordedResource:
    service = one(recording, g.ECS_SERVICE)
    for props in (service.inputs, service.outputs):
        props["networkConfiguration"] = {**props["networkConfiguration"], "assignPublicIp": True}
    return service


def _image(image: str) -> Callable[[Recording], RecordedResource]:
    def fault(recording: Recording) -> RecordedResource:
        definition = one(recording, g.TASK_DEFINITION)
        for props in (definition.inputs, definition.outputs):
            containers = json.loads(props["containerDefinitions"])
            containers[0]["image"] = image
            props["containerDefinitions"] = json.dumps(containers)
        return definition

    return fault


def _add(
    type_: str, key: str, value: str, *, within: str | None = None
) -> Callable[[Recording], RecordedResource]:
    def fault(recording: Recording) -> RecordedResource:
        target = one(recording, type_)
        for props in (target.inputs, target.outputs):
            holder = props[within] if within else props
            holder[key] = [*holder[key], value]
        return target

    return fault


INVARIANT_FAULTS: list[tuple[Callable[[Recording], RecordedResource | None], str]] = [
    (_public_http, "an internet-facing load balancer forwards plain HTTP in a production stack"),
    (_public_ip, "tasks get a public IP in a production stack"),
    (_public_subnet, "tasks run in public subnets in a production stack"),
    (lambda r: (change(g.AWSX_VPC, natGateways={"strategy": "None"})(r), one(r, g.ECS_SERVICE))[1],
     "the tasks have no NAT gateway to leave through in a production stack"),
    (_add(CLIENT, "callbackUrls", "http://localhost:8100/home/"),
     "callbackUrls: 'http://localhost:8100/home/' is not https; production accepts only https redirect URLs"),
    (_add(CLIENT, "logoutUrls", "https://*.example.org/"), "logoutUrls: 'https://*.example.org/' contains a "
     "wildcard '*'"),
    (_add(API, "allowOrigins", "http://localhost:8100", within="corsConfiguration"),
     "corsConfiguration.allowOrigins: 'http://localhost:8100' is not https; production accepts only "
     "https CORS"),
    (_image("hiperium/hiperium-city-tasks-api:latest"), "is tagged 'latest', which moves"),
    (_image("hiperium/hiperium-city-tasks-api"), "has no tag"),
]


@pytest.mark.parametrize(("fault", "problem"), INVARIANT_FAULTS, ids=[p[:40] for _, p in INVARIANT_FAULTS])
def test_a_broken_invariant_is_caught_at_its_resource(
    fault: Callable[[Recording], RecordedResource], problem: str
) -> None:
    faulty = copy.deepcopy(_recorded())
    at_fault = fault(faulty)
    [(message, urn)] = findings(faulty)
    assert problem in message and urn == at_fault.urn, message
    every_opt_out = [production.opt_out_setting("prod", name) for name in production.OPT_OUTS]
    assert findings(faulty, optOuts=every_opt_out) != []  # invariants have no opt-out
    assert findings(faulty, stack="pre") == []


@pytest.mark.parametrize(
    ("org_outputs", "config", "type_", "problem"),
    [
        ({**ORG_OUTPUTS, "account_ous": {**OUS, "workloads-prod": "Sandbox"}}, {}, g.ECS_SERVICE,
         "its workload account: account 'workloads-prod' is in the Sandbox OU ('Sandbox'), which production "
         "never uses"),
        ({**ORG_OUTPUTS, "account_ous": {**OUS, "workloads-prod": "Workloads/SDLC"}}, {}, g.ECS_SERVICE,
         "its workload account: account 'workloads-prod' is in OU 'Workloads/SDLC', not in a Prod OU"),
        ({**ORG_OUTPUTS, "account_ous": {**OUS, "idp-prod": "Suspended"}}, {}, g.USER_POOL,
         "its identity account: account 'idp-prod' is in the Suspended OU ('Suspended'): it is being closed"),
        (ORG_OUTPUTS, {"nonProductionIdentityAccounts": ["idp-prod"]}, g.USER_POOL,
         "its identity account: account 'idp-prod' is the identity account of a non-production stack (policy "
         "config nonProductionIdentityAccounts)"),
    ],
)
def test_misplaced_accounts_are_caught_through_the_org_stack_reference(
    org_outputs: dict[str, Any], config: dict[str, Any], type_: str, problem: str
) -> None:
    recording = _recorded()
    [(message, urn)] = findings(recording, org_outputs=org_outputs, **config)
    assert problem in message and urn == one(recording, type_).urn, message
    # Without the org stack's account_ous (the engine may not pass the reference), nothing to judge by.
    assert findings(recording, org_outputs={"accounts": ORG_OUTPUTS["accounts"]}, **config) == []


def test_the_pack_follows_the_one_definition_of_production(monkeypatch: pytest.MonkeyPatch) -> None:
    faulty = copy.deepcopy(_recorded())
    change(ALB, enableDeletionProtection=False)(faulty)
    assert findings(faulty, stack="live") == []
    monkeypatch.setattr(production, "PRODUCTION_STACKS", ("prod", "live"))
    assert len(findings(faulty, stack="live")) == 1
