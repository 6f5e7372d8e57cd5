"""Every value an environment reads from the org stack is checked before its first resource is declared:
by the program (under the engine: the engine's readStackOutputs function, here its mock), by ``plan``
against the recorded org outputs, and by the driver against the deployed ones."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import rpc

from components import config, org_references, program
from components.settings.environment import AccountAccess
from deploy import plan, stacks
from deploy.cli import Services, main
from deploy.orchestrator import FAILED, NOT_RUN, SUCCEEDED, Orchestrator
from deploy.org_references import OrgReferenceError, OrgReferenceGate
from deploy.runner import EXIT_FAILED, EXIT_OK, OperationResult, StackNotFoundError
from deploy.simulate import READ_STACK_OUTPUTS, STACK_REFERENCE, Recording, simulate
from tests.configs import FIXTURE_STACKS
from tests.stack_file_support import copy_with_real_values
from tests.stack_tables import THREE
from tests.test_deploy_orchestrator import FakeRunner
from tests.test_deploy_plan import stack_root

ORG = "org"
MANAGEMENT = "111111111111"
IDP_PRE, SANDBOX, IDP_PROD, WORKLOADS_PROD = "210987654321", "123456789013", "310987654321", "323456789013"
# Minimal org outputs: what org_program exports, for four accounts.
ORG_OUTPUTS: dict[str, Any] = {
    "management_account_id": MANAGEMENT,
    "access_role_name": "OrganizationAccountAccessRole",
    "accounts": {"idp-pre": IDP_PRE, "sandbox": SANDBOX, "idp-prod": IDP_PROD,
                 "workloads-prod": WORKLOADS_PROD},
    "account_ous": {"idp-pre": "Security", "sandbox": "Sandbox", "idp-prod": "Security",
                    "workloads-prod": "Workloads/Prod"},
    "organizational_units": {"Security": "ou-1", "Sandbox": "ou-2", "Workloads": "ou-3",
                             "Workloads/Prod": "ou-4"},
    "sso_assignments": [
        {"account_key": "sandbox", "account_id": SANDBOX, "permission_set": "provisioners"},
        {"account_key": "idp-pre", "account_id": IDP_PRE, "permission_set": "provisioners"},
    ],
}


def outputs(**changes: Any) -> dict[str, Any]:
    values = json.loads(json.dumps(ORG_OUTPUTS))
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def env_raw(**changes: Any) -> dict[str, Any]:
    """A minimal pre stack: the default accounts (idp-pre, sandbox) and the org stack named ``org``."""
    return {"environment": "pre", "orgStack": ORG, "cognito": {}, **changes}


def resolve(raw: dict[str, Any], org_outputs: dict[str, Any]) -> org_references.OrgReferences:
    settings = config.load("pre", raw)
    assert isinstance(settings, config.EnvConfig)
    return org_references.resolve_config(settings, org_outputs, "Pulumi.pre.yaml")


def run_program(raw: dict[str, Any], stack_outputs: dict[str, Any], **options: Any) -> Recording:
    """The pre program under mocks (``options``: more arguments of ``simulate``)."""
    settings = config.load("pre", raw)
    return simulate("pre", lambda: program.build(settings), raw_config=raw, stack_outputs=stack_outputs,
                    **options)


def failing_program(raw: dict[str, Any], stack_outputs: dict[str, Any]) -> tuple[str, Recording]:
    settings = config.load("pre", raw)
    recording = Recording(stack="pre")
    with pytest.raises(config.ConfigError) as caught:
        simulate("pre", lambda: program.build(settings), raw_config=raw, stack_outputs=stack_outputs,
                 recording=recording)
    return str(caught.value), recording


# --- the one function that checks them all ----------------------------------------------------


def test_valid_references_resolve_to_the_org_stacks_values() -> None:
    references = resolve(env_raw(), ORG_OUTPUTS)
    assert references.management_account_id == MANAGEMENT
    assert (references.identity.key, references.identity.account_id, references.identity.ou) == (
        "idp-pre", IDP_PRE, "Security"
    )
    assert (references.workload.key, references.workload.account_id) == ("sandbox", SANDBOX)
    assert references.identity.role_name == references.workload.role_name == "OrganizationAccountAccessRole"


def test_an_account_key_the_org_stack_does_not_export_is_one_line_with_a_suggestion() -> None:
    with pytest.raises(config.ConfigError) as caught:
        resolve(env_raw(identityAccount={"key": "idp-pree"}), ORG_OUTPUTS)
    assert str(caught.value) == (
        "Pulumi.pre.yaml: landing-zone:identityAccount.key: 'idp-pree' is not an account of stack 'org'; "
        "did you mean 'idp-pre'? (it exports: idp-pre, idp-prod, sandbox, workloads-prod)"
    )


def test_the_workload_account_is_checked_too_and_without_a_close_match_no_suggestion() -> None:
    with pytest.raises(config.ConfigError) as caught:
        resolve(env_raw(workloadAccount="billing"), ORG_OUTPUTS)
    assert str(caught.value) == (
        "Pulumi.pre.yaml: landing-zone:workloadAccount.key: 'billing' is not an account of stack 'org' "
        "(it exports: idp-pre, idp-prod, sandbox, workloads-prod)"
    )


@pytest.mark.parametrize("missing", ["accounts", "management_account_id"])
def test_an_org_stack_without_a_required_export_names_orgstack(missing: str) -> None:
    with pytest.raises(config.ConfigError) as caught:
        resolve(env_raw(), outputs(**{missing: None}))
    message = str(caught.value)
    assert message.startswith(f"Pulumi.pre.yaml: landing-zone:orgStack: stack 'org' exports no '{missing}' ")
    assert message.endswith("; deploy the org stack first (pulumi up -s org)") and "\n" not in message


def test_an_org_stack_with_no_outputs_at_all() -> None:
    with pytest.raises(config.ConfigError, match=r"exports no 'accounts' \(it exports nothing\); deploy"):
        resolve(env_raw(), {})


def test_the_management_account_is_never_an_environments_account() -> None:
    with pytest.raises(config.ConfigError) as caught:
        resolve(env_raw(), outputs(accounts={**ORG_OUTPUTS["accounts"], "sandbox": MANAGEMENT}))
    assert str(caught.value) == (
        "Pulumi.pre.yaml: landing-zone:workloadAccount.key: 'sandbox' is the management account "
        f"({MANAGEMENT}) of stack 'org'; environment resources never go there"
    )


def test_an_exported_id_that_is_not_an_account_id() -> None:
    with pytest.raises(config.ConfigError, match=r"identityAccount\.key: stack 'org' exports 'ou-1' for"):
        resolve(env_raw(), outputs(accounts={**ORG_OUTPUTS["accounts"], "idp-pre": "ou-1"}))


def test_the_access_role_export_is_needed_only_by_an_account_that_assumes_it() -> None:
    without = outputs(access_role_name=None)
    with pytest.raises(config.ConfigError) as caught:
        resolve(env_raw(workloadAccount={"key": "sandbox", "roleName": "Deployer"}), without)
    assert str(caught.value).startswith(
        "Pulumi.pre.yaml: landing-zone:identityAccount: stack 'org' exports no 'access_role_name'"
    )
    references = resolve(
        env_raw(identityAccount={"key": "idp-pre", "profile": "idp-pre"},
                workloadAccount={"key": "sandbox", "roleName": "Deployer"}),
        without,
    )
    assert references.identity.role_name is None  # the profile's own credentials
    assert references.workload.role_name == "Deployer"


def test_an_accounts_ou_must_be_one_of_the_org_stacks_ous() -> None:
    placed = outputs(account_ous={**ORG_OUTPUTS["account_ous"], "sandbox": "Sandbx"})
    with pytest.raises(config.ConfigError) as caught:
        resolve(env_raw(), placed)
    assert str(caught.value) == (
        "Pulumi.pre.yaml: landing-zone:workloadAccount.key: account 'sandbox' is in OU 'Sandbx', which stack "
        "'org' does not export; did you mean 'Sandbox'? (it exports: Sandbox, Security, Workloads, "
        "Workloads/Prod)"
    )
    # An org stack that does not export the placement leaves the OU unknown, not an error.
    assert resolve(env_raw(), outputs(account_ous=None)).workload.ou is None


def test_a_profile_deploy_profiles_writes_for_another_account_is_refused() -> None:
    with pytest.raises(config.ConfigError) as caught:
        resolve(env_raw(identityAccount={"key": "idp-pre", "profile": "sandbox"}), ORG_OUTPUTS)
    assert str(caught.value) == (
        "Pulumi.pre.yaml: landing-zone:identityAccount.profile: 'sandbox' is the profile `python -m deploy "
        "profiles` writes for account 'sandbox' of stack 'org', not for 'idp-pre'; its own is 'idp-pre'"
    )
    # The account and permission-set form names the permission set assigned there.
    with pytest.raises(config.ConfigError, match=r"'sandbox-provisioners' is the profile .* 'sandbox'"):
        resolve(env_raw(identityAccount={"key": "idp-pre", "profile": "sandbox-provisioners"}), ORG_OUTPUTS)
    for own in ("idp-pre", "idp-pre-provisioners", "my-own-profile"):
        assert resolve(env_raw(identityAccount={"key": "idp-pre", "profile": own}), ORG_OUTPUTS)


def test_resolve_takes_the_accounts_as_the_config_layer_gives_them() -> None:
    references = org_references.resolve(
        ORG, AccountAccess(key="idp-prod"), AccountAccess(key="workloads-prod"), ORG_OUTPUTS, "Pulumi.x.yaml"
    )
    assert (references.identity.account_id, references.workload.ou) == (IDP_PROD, "Workloads/Prod")


# --- the program: read and checked before anything is declared --------------------------------


def test_the_program_stops_on_a_bad_key_before_declaring_anything() -> None:
    message, recording = failing_program(env_raw(identityAccount={"key": "idp-pree"}), {ORG: ORG_OUTPUTS})
    assert message.startswith("Pulumi.pre.yaml: landing-zone:identityAccount.key: 'idp-pree' is not an")
    assert "\n" not in message
    # Nothing registered, nothing read (not even the StackReference): only the engine's read of org.
    assert recording.resources == [] and recording.reads == []
    assert recording.invokes == [(READ_STACK_OUTPUTS, {"name": ORG})]
    assert recording.invoke_providers == [None]  # the engine's built-in provider, never refused


def test_the_program_stops_when_the_org_stack_cannot_be_read() -> None:
    message, recording = failing_program(env_raw(), {})
    assert message == (
        "Pulumi.pre.yaml: landing-zone:orgStack: cannot read the outputs of stack 'org': invoke of "
        "pulumi:pulumi:readStackOutputs failed: no outputs are known for stack 'org' (name)"
    )
    assert recording.resources == [] and recording.reads == []


def test_a_valid_config_reads_org_once_then_pins_the_providers_to_the_checked_ids() -> None:
    recording = run_program(env_raw(), {ORG: ORG_OUTPUTS})
    assert [token for token, _ in recording.invokes].count(READ_STACK_OUTPUTS) == 1
    assert [r.type for r in recording.reads] == [STACK_REFERENCE]  # kept: the state records the dependency
    providers = {p.name: p for p in recording.resources if p.type == "pulumi:providers:aws"}
    assert providers["identity"].provider_setting("allowedAccountIds") == [IDP_PRE]
    assert providers["workload"].provider_setting("allowedAccountIds") == [SANDBOX]
    assert providers["workload"].provider_setting("assumeRoles")[0]["roleArn"] == (
        f"arn:aws:iam::{SANDBOX}:role/OrganizationAccountAccessRole"
    )
    domain = recording.one("aws:cognito/userPoolDomain:UserPoolDomain")
    assert domain.inputs["domain"] == f"tasks-pre-{IDP_PRE}"
    assert len(recording.custom_resources) > 20  # the whole environment


def test_an_export_the_org_stack_marks_secret_stays_secret() -> None:
    answer = {"name": ORG, "outputs": ORG_OUTPUTS, "secretOutputNames": ["accounts"]}
    recording = run_program(env_raw(), {ORG: ORG_OUTPUTS}, invoke_results={READ_STACK_OUTPUTS: answer})
    sent = recording.one("pulumi:providers:aws", "identity").inputs["allowedAccountIds"]
    # Sent to the engine wrapped as a secret (encrypted in state), with the checked id inside.
    assert sent[rpc._special_sig_key] == rpc._special_secret_sig and json.loads(sent["value"]) == [IDP_PRE]


# --- plan: against the org program's recorded outputs -------------------------------------------


def test_plan_names_the_file_and_key_and_the_environment_declares_nothing(tmp_path: Path) -> None:
    root = stack_root(tmp_path, pre={"identityAccount": {"key": "idp-pree"}})
    report = plan.run_plan(["pre"], root=root, policies=False)
    pre = next(p for p in report.plans if p.stack == "pre")
    expected = (
        "Pulumi.pre.yaml: landing-zone:identityAccount.key: 'idp-pree' is not an account of stack "
        "'organization/landing-zone/org'; did you mean 'idp-pre'?"
    )
    assert pre.status == plan.INVALID and pre.message.startswith(expected)
    assert next(c for c in pre.checks if c.name == "org references").ok is False
    assert pre.recording is None or pre.recording.resources == []
    assert report.exit_code == EXIT_FAILED
    assert f"FAIL  org references: {expected}" in plan.render(report, tree=False)


def test_plan_of_the_shipped_stacks_checks_their_references() -> None:
    report = plan.run_plan(["pre", "prod"], root=FIXTURE_STACKS, policies=False)
    for stack_plan in report.plans:
        if stack_plan.stack in ("pre", "prod"):
            (check,) = [c for c in stack_plan.checks if c.name == "org references"]
            assert check.ok is True and "identityAccount" in check.detail
            assert stack_plan.ok


# --- the driver: before any Pulumi command of the environment -----------------------------------


class OrgRunner(FakeRunner):
    """FakeRunner whose org stack exports ``org_outputs`` (deployed, and returned by its ``up``)."""

    def __init__(self, events: list[tuple[str, str]], org_outputs: dict[str, Any]) -> None:
        super().__init__(events)
        self.org_outputs = org_outputs

    def outputs(self, stack: str) -> dict[str, Any]:
        self._call("outputs", stack)
        return dict(self.org_outputs) if stack == stacks.ORG else {}

    def up(
        self, stack: str, *, on_output: Any, policy_packs: Sequence[str] = (), plan_file: Path | None = None
    ) -> OperationResult:
        result = super().up(stack, on_output=on_output, policy_packs=policy_packs, plan_file=plan_file)
        if stack == stacks.ORG:
            result.outputs = dict(self.org_outputs)
        return result


def gate(stack_file_keys: dict[str, dict[str, Any]]) -> Any:
    """A gate over minimal environment configs (stack -> raw values), the real check inside."""

    def check(stack: str, org_outputs: Any) -> None:
        settings = config.load(stack, {"environment": stack, "orgStack": ORG, "cognito": {},
                                       **stack_file_keys.get(stack, {})})
        assert isinstance(settings, config.EnvConfig)
        try:
            org_references.resolve_config(settings, org_outputs, config.stack_file(stack))
        except config.ConfigError as error:
            raise OrgReferenceError(str(error)) from None

    return check


def test_the_orchestrator_refuses_every_environment_before_any_of_them_runs() -> None:
    events: list[tuple[str, str]] = []
    runner = OrgRunner(events, ORG_OUTPUTS)
    orchestrator = Orchestrator(runner, stacks=THREE,
                                references=gate({"prod": {"workloadAccount": "workloads-prd"}}),
                                emit=lambda line: None)
    summary = orchestrator.run("up")
    # org ran (its outputs are what the environments read); pre is fine but must not run before prod.
    assert events == [("preview", "org"), ("up", "org")]
    results = {o.stack: (o.result, o.message) for o in summary.outcomes}
    assert results["org"][0] == SUCCEEDED
    assert results["prod"] == (
        FAILED,
        "Pulumi.prod.yaml: landing-zone:workloadAccount.key: 'workloads-prd' is not an account of stack "
        "'org'; did you mean 'workloads-prod'? (it exports: idp-pre, idp-prod, sandbox, workloads-prod)",
    )
    assert results["pre"] == (NOT_RUN, "not run: prod failed")
    assert summary.exit_code == EXIT_FAILED


def test_the_check_uses_the_outputs_org_up_just_returned() -> None:
    events: list[tuple[str, str]] = []
    runner = OrgRunner(events, ORG_OUTPUTS)
    summary = Orchestrator(runner, stacks=THREE, references=gate({}), emit=lambda line: None).run("up")
    assert summary.ok and events == [
        ("preview", "org"), ("up", "org"),
        ("preview", "pre"), ("up", "pre"),
        ("preview", "prod"), ("up", "prod"),
    ]


def test_preview_of_an_environment_alone_checks_against_the_deployed_org_outputs() -> None:
    events: list[tuple[str, str]] = []
    runner = OrgRunner(events, outputs(accounts={"sandbox": SANDBOX}))
    summary = Orchestrator(runner, stacks=THREE,
                           references=gate({}), emit=lambda line: None).run("preview", ["pre"])
    assert events == [("outputs", "org")]  # no preview of pre
    (outcome,) = summary.outcomes
    assert outcome.result == FAILED and "identityAccount.key: 'idp-pre' is not an account" in outcome.message


def test_destroy_and_refresh_run_no_program_and_are_not_checked() -> None:
    events: list[tuple[str, str]] = []
    runner = OrgRunner(events, {})
    summary = Orchestrator(runner, stacks=THREE,
                           references=gate({}), emit=lambda line: None).run("refresh", ["pre"])
    assert summary.ok and events == [("refresh", "pre")]


def test_the_cli_refuses_the_environment_with_the_stack_files_and_deployed_outputs(tmp_path: Path) -> None:
    root = copy_with_real_values(tmp_path / "real")
    path = root / "Pulumi.pre.yaml"
    path.write_text(path.read_text().replace("key: idp-pre", "key: idp-pree"))
    events: list[tuple[str, str]] = []
    deployed = outputs(accounts={**ORG_OUTPUTS["accounts"]})
    err = io.StringIO()
    services = Services(root=root, runner=lambda: OrgRunner(events, deployed), check_credentials=False,
                        stdout=io.StringIO(), stderr=err)
    assert main(["preview", "--stack", "pre", "prod"], services) == EXIT_FAILED
    assert ("preview", "pre") not in events and ("preview", "prod") not in events
    assert err.getvalue().strip() == (
        "preview failed at stack pre: Pulumi.pre.yaml: landing-zone:identityAccount.key: 'idp-pree' is not "
        "an account of stack 'organization/landing-zone/org'; did you mean 'idp-pre'? (it exports: idp-pre, "
        "idp-prod, sandbox, workloads-prod)"
    )
    path.write_text(path.read_text().replace("key: idp-pree", "key: idp-pre"))
    assert main(["preview", "--stack", "pre", "prod"], services) == EXIT_OK
    assert events[-2:] == [("preview", "pre"), ("preview", "prod")]


def test_the_real_gate_reads_the_stack_file() -> None:
    check = OrgReferenceGate(FIXTURE_STACKS)
    check("pre", ORG_OUTPUTS)  # the shipped pre stack uses idp-pre and sandbox
    check("org", {})  # the org stack reads nothing
    with pytest.raises(OrgReferenceError, match=r"^Pulumi\.prod\.yaml: landing-zone:workloadAccount\.key: "):
        check("prod", outputs(accounts={"idp-prod": IDP_PROD}))


def test_an_unreadable_org_stack_or_a_failing_check_still_ends_in_a_summary() -> None:
    class Unreadable(OrgRunner):
        def outputs(self, stack: str) -> dict[str, Any]:
            raise StackNotFoundError("stack org does not exist; deploy it first")

    events: list[tuple[str, str]] = []
    summary = Orchestrator(Unreadable(events, {}), stacks=THREE,
                           references=gate({}), emit=lambda line: None).run(
        "preview", ["pre", "prod"]
    )
    assert events == []
    assert [(o.stack, o.result) for o in summary.outcomes] == [("pre", FAILED), ("prod", NOT_RUN)]
    assert summary.outcomes[0].message == (
        "cannot check what it reads from org: stack org does not exist; deploy it first"
    )

    def broken(stack: str, org_outputs: Any) -> None:
        raise KeyError("defect")

    summary = Orchestrator(OrgRunner(events, ORG_OUTPUTS), stacks=THREE,
                           references=broken, emit=lambda line: None).run(
        "preview", ["pre"]
    )
    assert summary.outcomes[0].result == FAILED and summary.exit_code == EXIT_FAILED
    assert summary.outcomes[0].message == "org reference check failed unexpectedly: KeyError: 'defect'"
    assert ("preview", "pre") not in events
