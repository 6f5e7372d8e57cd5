"""Production is the stack's: its protections hold whatever its config says, a named opt-out lowers one
(and plan warns about it on every run), and its invariants are refused in config validation, in the
program (accounts, once the org outputs resolve) and in plan, each with one line naming file and key.

The configs are built here; only the last test reads the shipped stack files (they plan cleanly)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import config
from components.production_accounts import non_production_identity_accounts, production_account_problems
from components.settings.tasks_service import tasks_service_plan
from deploy import plan as deploy_plan
from deploy.production_check import production_check
from deploy.simulate import Recording
from deploy.stack_checks import ERROR, WARNING, StackContext
from policies import production
from tests.conftest import run_env_stack
from tests.stack_tables import THREE

IMAGE = "hiperium/hiperium-city-tasks-api:1.5.0-arm64"
ACCOUNTS = {
    "idp-pre": "210000000001", "idp-prod": "210000000002", "sandbox": "210000000003",
    "workloads-sdlc": "210000000004", "workloads-prod": "210000000005", "closed": "210000000006",
}
OUS = {
    "idp-pre": "Security", "idp-prod": "Security", "sandbox": "Sandbox", "workloads-sdlc": "Workloads/SDLC",
    "workloads-prod": "Workloads/Prod", "closed": "Suspended",
}
ORG_OUTPUTS = {
    "management_account_id": "111111111111", "accounts": ACCOUNTS, "account_ous": OUS,
    "access_role_name": "OrganizationAccountAccessRole",
}
POOL = "aws:cognito/userPool:UserPool"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "aws:secretsmanager/secret:Secret"
ALB = "aws:lb/loadBalancer:LoadBalancer"


def env(stack: str = "prod", **changes: Any) -> dict[str, Any]:
    """A minimal environment stack's values (keys without the namespace)."""
    identity, workload = {"prod": ("idp-prod", "workloads-prod")}.get(stack, ("idp-pre", "sandbox"))
    values: dict[str, Any] = {
        "environment": stack,
        "orgStack": "organization/landing-zone/org",
        "identityAccount": identity,
        "workloadAccount": workload,
        "cognito": {"userPoolName": f"tasks-{stack}-users"},
        "service": {"image": IMAGE},
    }
    values.update(changes)
    return values


def opt_out(resource: str, reason: str = "restored from a snapshot while migrating") -> dict[str, str]:
    return {"resource": resource, "reason": reason}


def settings_of(stack: str, values: dict[str, Any]) -> config.EnvConfig:
    settings = config.load(stack, values)
    assert isinstance(settings, config.EnvConfig)
    return settings


def error(stack: str, values: dict[str, Any]) -> str:
    with pytest.raises(config.ConfigError) as caught:
        config.load(stack, values)
    return str(caught.value)


@pytest.fixture(autouse=True)
def _collect_failed_runs() -> Iterator[None]:
    yield
    gc.collect()  # futures of a failed program run, collected within the test


# --- production is the stack's -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "values", "message"),
    [
        ("prod", env(production=False),
         "Pulumi.prod.yaml: landing-zone:production: is not a setting: a stack is production by its name "
         "(policies/production.py PRODUCTION_STACKS: prod); remove the key; lower one protection with "
         "productionOptOuts"),
        ("pre", env("pre", production=True),
         "Pulumi.pre.yaml: landing-zone:production: is not a setting: a stack is production by its name "
         "(policies/production.py PRODUCTION_STACKS: prod); remove the key"),
        ("prod", env(environment="pre"),
         "Pulumi.prod.yaml: landing-zone:environment: 'pre' is not this stack's name; production stack "
         "'prod' is environment 'prod'"),
        ("qa", env("qa", environment="prod"),
         "Pulumi.qa.yaml: landing-zone:environment: 'prod' is a production stack's name, and stack 'qa' is "
         "not production"),
    ],
)
def test_a_stack_file_cannot_make_its_stack_non_production(
    stack: str, values: dict[str, Any], message: str
) -> None:
    assert error(stack, values) == message


def test_production_is_the_stack_name_for_config_driver_and_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings_of("prod", env()).is_production and not settings_of("pre", env("pre")).is_production
    assert THREE.spec("prod").production and "prod" in THREE.kept_from_destroy()
    # A project declares another stack production in one place; every layer follows.
    monkeypatch.setattr(production, "PRODUCTION_STACKS", ("prod", "live"))
    assert settings_of("live", env("live")).is_production
    assert THREE.kept_from_destroy() == ["org", "prod"]  # live is not in the driver's table
    assert error("live", env("live", network={"natGateways": "none"})).startswith(
        "Pulumi.live.yaml: landing-zone:network.natGateways: is none")


# --- protections hold whatever config says, unless opted out by name -----------------------------


def protections(stack: str, values: dict[str, Any]) -> dict[str, bool]:
    settings = settings_of(stack, values)
    plan = tasks_service_plan(settings, config.stack_file(stack))
    return {
        "userPool.protect": settings.user_pool_protect,
        "userPool.deletionProtection": settings.user_pool_deletion_protection,
        "database.protect": plan.database.protect,
        "database.deletionProtection": plan.database.deletion_protection,
        "database.finalSnapshot": plan.database.final_snapshot,
        "databaseSecret.protect": plan.database.secret_protect,
        "loadBalancer.protect": plan.load_balancer.protect,
        "loadBalancer.deletionProtection": plan.load_balancer.deletion_protection,
    }


def test_every_protection_is_on_in_production_and_off_by_default_elsewhere() -> None:
    assert set(protections("prod", env())) == set(production.OPT_OUTS)
    assert all(protections("prod", env()).values())
    assert not any(protections("pre", env("pre")).values())


@pytest.mark.parametrize("name", list(production.OPT_OUTS))
def test_an_opt_out_lowers_exactly_its_protection(name: str) -> None:
    lowered = protections("prod", env(productionOptOuts=[opt_out(name)]))
    assert {key for key, on in lowered.items() if not on} == {name}


@pytest.mark.parametrize(
    ("key", "values", "opt_out_name"),
    [
        ("cognito.deletionProtection", {"cognito": {"deletionProtection": False}},
         "userPool.deletionProtection"),
        ("database.deletionProtection", {"database": {"deletionProtection": False}},
         "database.deletionProtection"),
        ("database.finalSnapshot", {"database": {"finalSnapshot": False}}, "database.finalSnapshot"),
        ("loadBalancer.deletionProtection", {"loadBalancer": {"deletionProtection": False}},
         "loadBalancer.deletionProtection"),
    ],
)
def test_a_key_that_lowers_a_protection_needs_its_opt_out(
    key: str, values: dict[str, Any], opt_out_name: str
) -> None:
    changes = {**values, "cognito": {"userPoolName": "tasks-prod-users", **values.get("cognito", {})}}
    assert error("prod", env(**changes)) == (
        f"Pulumi.prod.yaml: landing-zone:{key}: cannot be turned off in a production environment; to lower "
        f"it, add {{resource: {opt_out_name}, reason: ...}} to productionOptOuts"
    )
    assert not protections("prod", env(**changes, productionOptOuts=[opt_out(opt_out_name)]))[opt_out_name]
    # The same key outside production is the user's choice.
    assert config.load("pre", env("pre", **changes))


@pytest.mark.parametrize(
    ("stack", "values", "message"),
    [
        ("prod", env(productionOptOuts=[opt_out("database.backups")]),
         "Pulumi.prod.yaml: landing-zone:productionOptOuts[0].resource: 'database.backups' is not a "
         "production protection; one of " + ", ".join(production.OPT_OUTS)),
        ("prod", env(productionOptOuts=[{"resource": "database.protect"}]),
         "Pulumi.prod.yaml: landing-zone:productionOptOuts[0].reason: is required"),
        ("prod", env(productionOptOuts=[opt_out("database.protect", "because")]),
         "Pulumi.prod.yaml: landing-zone:productionOptOuts[0].reason: String should have at least 10 "
         "characters"),
        ("prod", env(productionOptOuts=[opt_out("database.protect"), opt_out("database.protect")]),
         "Pulumi.prod.yaml: landing-zone:productionOptOuts[1].resource: 'database.protect' is opted out "
         "twice"),
        ("pre", env("pre", productionOptOuts=[opt_out("database.protect")]),
         "Pulumi.pre.yaml: landing-zone:productionOptOuts: applies only to production stacks, whose "
         "protections it lowers"),
        ("prod", env(database={"deletionProtection": True},
                     productionOptOuts=[opt_out("database.deletionProtection")]),
         "Pulumi.prod.yaml: landing-zone:database.deletionProtection: is true, but productionOptOuts lowers "
         "it ('database.deletionProtection'); keep one of them"),
    ],
)
def test_opt_outs_are_named_with_a_reason_and_only_in_production(
    stack: str, values: dict[str, Any], message: str
) -> None:
    assert error(stack, values) == message


def test_the_program_declares_the_protections_and_an_opt_out_lowers_one_resource() -> None:
    recording = run_env_stack("prod", env(), org_outputs=ORG_OUTPUTS)
    pool = recording.one(POOL)
    assert pool.protect and pool.inputs["deletionProtection"] == "ACTIVE"
    cluster = recording.one(CLUSTER)
    assert cluster.protect and cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["skipFinalSnapshot"] is False and cluster.inputs["finalSnapshotIdentifier"]
    assert all(instance.protect for instance in recording.of_type(INSTANCE))
    assert recording.one(PASSWORD).protect
    assert recording.one(SECRET).protect and recording.one(SECRET).inputs["recoveryWindowInDays"] == 30
    assert recording.one(ALB).protect and recording.one(ALB).inputs["enableDeletionProtection"] is True

    lowered = run_env_stack("prod", env(productionOptOuts=[opt_out("databaseSecret.protect")]),
                            org_outputs=ORG_OUTPUTS)
    assert not lowered.one(SECRET).protect and lowered.one(SECRET).inputs["recoveryWindowInDays"] == 0
    assert lowered.one(CLUSTER).protect and lowered.one(PASSWORD).protect and lowered.one(ALB).protect


# --- invariants, refused before anything is declared ---------------------------------------------

CERTIFICATE = {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc-1",
               "domainName": "api.example.org"}


@pytest.mark.parametrize(
    ("values", "key", "problem"),
    [
        ({"loadBalancer": {"mode": "public"}}, "loadBalancer.mode",
         "is public (internet-facing) without loadBalancer.certificateArn: production serves HTTPS only"),
        ({"network": {"natGateways": "none"}}, "network.natGateways",
         "is none: production runs its tasks in private subnets without public IPs"),
        ({"api": {"additionalCorsOrigins": ["http://localhost:8100"]}}, "api.additionalCorsOrigins[0]",
         "'http://localhost:8100' is not https; production accepts only https CORS origins"),
        ({"api": {"additionalCorsOrigins": ["https://*.example.org"]}}, "api.additionalCorsOrigins[0]",
         "'https://*.example.org' contains a wildcard '*'"),
        ({"cognito": {"userPoolName": "p", "callbackUrls": ["http://localhost:8100/home/"]}},
         "cognito.callbackUrls[0]", "'http://localhost:8100/home/' is not https; production accepts only"),
        ({"cognito": {"userPoolName": "p", "logoutUrls": ["https://ok.example.org/", "http://localhost/"]}},
         "cognito.logoutUrls[1]", "'http://localhost/' is not https; production accepts only https"),
        ({"service": {"image": "hiperium/hiperium-city-tasks-api"}}, "service.image",
         "'hiperium/hiperium-city-tasks-api' has no tag"),
        ({"service": {"image": "hiperium/hiperium-city-tasks-api:latest"}}, "service.image",
         "'hiperium/hiperium-city-tasks-api:latest' is tagged 'latest', which moves"),
        ({"service": {"image": "registry.example.org:5000/tasks"}}, "service.image",
         "'registry.example.org:5000/tasks' has no tag"),
        ({"service": {"image": "tasks@sha256:abc"}}, "service.image",
         "'tasks@sha256:abc' has a malformed digest"),
    ],
)
def test_production_invariants_are_config_errors_naming_file_and_key(
    values: dict[str, Any], key: str, problem: str
) -> None:
    message = error("prod", env(**values))
    assert message.startswith(f"Pulumi.prod.yaml: landing-zone:{key}: {problem}"), message
    assert "\n" not in message


@pytest.mark.parametrize(
    "values",
    [
        {"loadBalancer": {"mode": "public", **CERTIFICATE}},
        {"network": {"natGateways": "single"}},
        {"api": {"additionalCorsOrigins": ["https://admin.example.org"]}},
        {"service": {"image": "hiperium/hiperium-city-tasks-api:1.5.0-arm64@sha256:" + "a" * 64}},
        {"service": {"image": "registry.example.org:5000/tasks:2.0"}},
    ],
)
def test_what_production_accepts(values: dict[str, Any]) -> None:
    assert config.load("prod", env(**values))


def test_outside_production_http_is_for_localhost_only_and_wildcards_never() -> None:
    assert config.load("pre", env("pre", api={"additionalCorsOrigins": ["http://localhost:8100"]},
                                  service={"image": "tasks"}, network={"natGateways": "none"}))
    assert error("pre", env("pre", api={"additionalCorsOrigins": ["http://app.example.org"]})) == (
        "Pulumi.pre.yaml: landing-zone:api.additionalCorsOrigins[0]: 'http://app.example.org' is not https; "
        "plain http is accepted only for localhost")
    wildcard = env("pre", cognito={"userPoolName": "p", "callbackUrls": ["https://*.example.org/"]})
    assert error("pre", wildcard) == (
        "Pulumi.pre.yaml: landing-zone:cognito.callbackUrls: 'https://*.example.org/' contains a wildcard "
        "'*': redirect URLs are matched exactly, so list each one")


@pytest.mark.parametrize("name", ["rdsadmin", "RDSADMIN", "rdsrepladmin", "rds_superuser", "pg_monitor",
                                  "user", "select", "public"])
def test_reserved_master_user_names_are_refused_in_every_environment(name: str) -> None:
    message = error("pre", env("pre", database={"masterUsername": name}))
    assert message.startswith(f"Pulumi.pre.yaml: landing-zone:database.masterUsername: '{name}' is "), message
    assert "reserved" in message


def test_ordinary_master_user_names_are_accepted() -> None:
    for name in ("postgres", "tasks_admin", "admin", "rdsuser"):
        assert config.load("pre", env("pre", database={"masterUsername": name}))


# --- accounts: the org outputs decide, in the program and in plan --------------------------------


def write_stack_file(root: Path, stack: str, values: dict[str, Any]) -> None:
    placed = {"deployOrder": 0 if stack == "org" else 10, **values}  # its place (deploy/stacks.py)
    data = {"config": {"pulumi:disable-default-providers": ["*"],
                       **{f"{config.PROJECT}:{key}": value for key, value in placed.items()}}}
    (root / config.stack_file(stack)).write_text(yaml.safe_dump(data), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root whose only non-production stack, pre, uses idp-pre."""
    write_stack_file(tmp_path, "pre", env("pre"))
    write_stack_file(tmp_path, "prod", env())
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path)
    return tmp_path


def test_the_non_production_stacks_identity_accounts_come_from_their_files(project: Path) -> None:
    assert non_production_identity_accounts(project) == {"idp-pre": "Pulumi.pre.yaml"}
    write_stack_file(project, "qa", env("qa", identityAccount="idp-qa"))
    assert non_production_identity_accounts() == {"idp-pre": "Pulumi.pre.yaml", "idp-qa": "Pulumi.qa.yaml"}


@pytest.mark.parametrize(
    ("changes", "key", "problem"),
    [
        ({"workloadAccount": "sandbox"}, "workloadAccount.key",
         "account 'sandbox' is in the Sandbox OU ('Sandbox'), which production never uses"),
        ({"workloadAccount": "closed"}, "workloadAccount.key",
         "account 'closed' is in the Suspended OU ('Suspended'): it is being closed"),
        ({"workloadAccount": "workloads-sdlc"}, "workloadAccount.key",
         "account 'workloads-sdlc' is in OU 'Workloads/SDLC', not in a Prod OU (such as Workloads/Prod)"),
        ({"identityAccount": "idp-pre"}, "identityAccount.key",
         "account 'idp-pre' is the identity account of a non-production stack (Pulumi.pre.yaml)"),
        ({"identityAccount": "sandbox"}, "identityAccount.key",
         "account 'sandbox' is in the Sandbox OU ('Sandbox'), which production never uses"),
    ],
)
def test_misplaced_production_accounts_stop_the_program_before_any_account_resource(
    project: Path, changes: dict[str, Any], key: str, problem: str
) -> None:
    values = env(**changes)
    settings = settings_of("prod", values)  # keys alone cannot tell: the org outputs decide
    recording = Recording(stack="prod")
    with pytest.raises(config.ConfigError) as caught:  # plan reports invalid config, not a crash
        deploy_plan.simulate_stack("prod", settings, values, {settings.org_stack: ORG_OUTPUTS}, recording)
    assert str(caught.value) == f"Pulumi.prod.yaml: landing-zone:{key}: {problem}"
    # Checked on the org outputs read before anything is declared: no provider, no resource at all.
    assert recording.resources == []
    # plan's check reaches the same verdict from the recorded org outputs.
    assert production_account_problems(settings, ORG_OUTPUTS, {"idp-pre": "Pulumi.pre.yaml"}) == [
        (f"landing-zone:{key}", problem)
    ]


def test_a_non_production_stack_may_use_any_account(project: Path) -> None:
    assert run_env_stack("pre", env("pre", workloadAccount="sandbox"), org_outputs=ORG_OUTPUTS).resources


# --- plan ------------------------------------------------------------------------------------------


def context(values: dict[str, Any], recording: Recording | None = None) -> StackContext:
    return StackContext("prod", "Pulumi.prod.yaml", {}, config.load("prod", values), recording)


def test_plan_warns_about_every_opt_out_on_every_run() -> None:
    values = env(productionOptOuts=[opt_out("database.deletionProtection", "the cluster is being migrated"),
                                    opt_out("loadBalancer.protect", "replaced by the new listener setup")])
    findings = production_check(context(values))
    assert [(f.severity, f.where) for f in findings] == [
        (WARNING, "Pulumi.prod.yaml: landing-zone:productionOptOuts[0]"),
        (WARNING, "Pulumi.prod.yaml: landing-zone:productionOptOuts[1]"),
    ]
    assert findings[0].message == (
        "production protection lowered: database.deletionProtection (RDS deletion protection of the Aurora "
        "cluster); reason: the cluster is being migrated")
    assert production_check(context(env())) == []


def test_plan_checks_the_accounts_against_the_recorded_org_outputs(project: Path) -> None:
    recording = run_env_stack("prod", env(), org_outputs=ORG_OUTPUTS)
    assert production_check(context(env(), recording)) == []
    moved = {**ORG_OUTPUTS, "account_ous": {**OUS, "workloads-prod": "Sandbox"}}
    recording.reads[0].outputs["outputs"] = moved  # the org stack moved the account after the program ran
    [finding] = production_check(context(env(), recording))
    assert (finding.severity, finding.where) == (ERROR, "Pulumi.prod.yaml: landing-zone:workloadAccount.key")


def test_plan_prints_the_opt_out_warnings_and_stays_ok(tmp_path: Path) -> None:
    accounts = [{"key": "idp-prod", "name": "IdP-Prod", "ou": "Security"},
                {"key": "workloads-prod", "name": "Workloads-Prod", "ou": "Workloads/Prod"}]
    write_stack_file(tmp_path, "org", {"emailPattern": "aws+{key}@hiperium-city.dev", "accounts": accounts})
    write_stack_file(tmp_path, "prod", env(productionOptOuts=[opt_out("loadBalancer.deletionProtection")]))
    report = deploy_plan.run_plan(["prod"], root=tmp_path)
    prod = next(p for p in report.plans if p.stack == "prod")
    assert prod.ok, prod.message
    assert [(f.severity, f.where) for f in prod.findings if f.check == "production"] == [
        (WARNING, "Pulumi.prod.yaml: landing-zone:productionOptOuts[0]")
    ]
    assert ("warn  production: Pulumi.prod.yaml: landing-zone:productionOptOuts[0]: production protection "
            "lowered: loadBalancer.deletionProtection") in deploy_plan.render(report)
    # The pack gets the opt-out from the derived policy config, so it accepts the lowered protection.
    assert not [v for v in prod.violations if v.policy == "production-invariants"]


def test_the_shipped_stack_files_plan_cleanly() -> None:
    report = deploy_plan.run_plan()
    assert all(p.ok for p in report.plans), [p.message for p in report.plans]
    assert not [f for p in report.plans for f in p.findings if f.check == "production"]
