"""``preview``, ``up``, ``refresh`` and ``destroy``: checks before any Pulumi command (config, example
values, credentials, the org stack's adoption), then the stacks in order through the orchestrator.
"""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components import config as stack_config
from deploy.runner import EXIT_USAGE, DeployError, SetupError, StackNotFoundError, StackRunner
from deploy.services import Services, check_backend, make_runner
from deploy.stacks import ORG

if TYPE_CHECKING:  # deploy.derive imports botocore: loaded only by the commands that need it
    from deploy.aurora_version import EngineVersionGate
    from deploy.derive import OrgRun
    from deploy.orchestrator import BeforeApply, Summary
    from deploy.stackset_access import StackSetAccessGate


def cmd_operation(args: argparse.Namespace, services: Services) -> int:
    from deploy.orchestrator import Orchestrator

    operation = args.command
    names = args.stacks
    stacks = services.stack_table()
    check_backend(services, args)
    override_file: Path | None = getattr(args, "policy_config", None)
    with_pack = bool(getattr(args, "policy_pack", False) or override_file)
    policy_packs = _policy_packs(services.root) if with_pack else []
    if operation in ("preview", "up"):  # refresh and destroy do not run the program
        _check_config(stacks.ordered(names), services.root)
        _check_placeholders(operation, stacks.ordered(names), services.root)
    config_file = _write_policy_config(services.root, override_file) if with_pack else None
    runner = make_runner(services, args, config_file)
    org_run = _check_credentials(stacks.ordered(names), services, operation, runner)
    confirm = None
    if operation != "preview" and not args.yes:
        from deploy import confirmation

        backend = str(getattr(runner, "backend_url", "the configured backend"))
        if operation == "up":  # asked per stack, after its preview
            confirm = confirmation.after_preview(backend, services.stdin, services.stdout)
        else:
            confirmation.before_run(operation, names, backend, services.stdin, services.stdout, stacks)
    before_apply = None
    if org_run is not None:
        # What deploy/derive.py found reaches the org program for this run (a runner that cannot pass
        # it leaves the program to stop on the missing value, naming it).
        set_program_env = getattr(runner, "set_program_env", None)
        if org_run.env and set_program_env is not None:
            set_program_env(org_run.env)
        before_apply = _org_change_before_up(org_run, services)

    access = _stackset_access(stacks.ordered(names), services) if operation in ("preview", "up") else None
    if access is not None and operation == "preview":
        for name in access.names:
            access.preview(name, _stack_emitter(name, services))
    elif access is not None:
        before_apply = _chained(before_apply, access.before_apply)

    engine_check = _engine_version_gate(stacks.ordered(names), services, runner) if operation in (
        "preview", "up") else None

    readiness = smoke = None
    if operation == "up":
        from deploy.readiness import AccountReadiness, target_accounts
        from deploy.smoke import SmokeCheck

        def accounts_for(stack: str, org_outputs: Mapping[str, Any]) -> list[tuple[str, str, str]]:
            return target_accounts(stack, org_outputs, services.root)

        readiness_kwargs: dict[str, Any] = {}
        if services.session_factory is not None:
            readiness_kwargs["session_factory"] = services.session_factory
        readiness = AccountReadiness(
            accounts_for=services.accounts_for or accounts_for,
            timeout=args.ready_timeout,
            sleep=services.sleep,
            **readiness_kwargs,
        )
        if not args.skip_smoke_check:
            smoke_kwargs: dict[str, Any] = {"fetch": services.fetch} if services.fetch else {}
            from deploy.wake import desired_tasks_reader  # a sleeping environment is no failure

            smoke_kwargs["desired_tasks"] = desired_tasks_reader(runner, services)
            smoke = SmokeCheck(timeout=args.smoke_timeout, sleep=services.sleep, **smoke_kwargs)

    def emit(line: str) -> None:
        print(line, file=services.stdout, flush=True)

    allow_replace: list[str] = list(getattr(args, "allow_replace", None) or [])
    references = None
    if services.check_org_references:
        from deploy.org_references import OrgReferenceGate

        references = OrgReferenceGate(services.root)
    orchestrator = Orchestrator(
        runner, stacks=stacks, readiness=readiness, smoke=smoke, references=references, emit=emit,
        allow_replace=allow_replace, confirm=confirm, before_apply=before_apply,
        environment_check=engine_check,
    )
    summary = orchestrator.run(operation, names, parallel=args.parallel, policy_packs=policy_packs)
    print("", file=services.stdout)
    print(summary.table(), file=services.stdout)
    _warn_unmatched(allow_replace, summary, services)
    if args.json:
        args.json.write_text(json.dumps(summary.to_json(), indent=2) + "\n", encoding="utf-8")
    failed = [o for o in summary.outcomes if o.result == "failed"]
    if failed:
        print(f"{operation} failed at stack {failed[0].stack}: {failed[0].message}", file=services.stderr)
    return summary.exit_code


def _policy_packs(root: Path) -> list[str]:
    pack = root / "policies"
    if not (pack / "PulumiPolicy.yaml").is_file():
        raise SetupError(f"--policy-pack: {pack} holds no PulumiPolicy.yaml, so there is no pack to run")
    return [str(pack)]


def _write_policy_config(root: Path, override_file: Path | None) -> Path:
    """The pack's config for ``--policy-pack-config``: derived from the stack files, the user's on top."""
    from deploy import policy_config

    override = policy_config.read_override(override_file) if override_file else None
    config = policy_config.build(root, override, source=f"--policy-config {override_file}")
    return policy_config.write(root, config)


def _check_config(names: Sequence[str], root: Path) -> None:
    """Bad config stops everything before any Pulumi command: one line naming the file and key."""
    for name in names:
        stack_config.load_stack_file(name, root)


def _check_placeholders(operation: str, names: Sequence[str], root: Path) -> None:
    """Example values (deploy/placeholders.py) must not reach AWS: refuse, naming each one."""
    from deploy import placeholders

    found = placeholders.scan_stacks(names, root)
    if found:
        raise _UsageError(placeholders.refusal(operation, found))


def _check_credentials(
    names: Sequence[str], services: Services, operation: str, runner: StackRunner
) -> OrgRun | None:
    """Check the caller's credentials; with org previewed or deployed, what deploy/derive.py found."""
    if not services.check_credentials:
        return None
    import boto3

    from deploy.derive import prepare_org_run
    from deploy.readiness import check_credentials

    session_factory = services.session_factory or boto3.Session
    account = check_credentials(session_factory)
    if ORG not in names:
        return None
    file_values = stack_config.read_stack_file(ORG, services.root)
    configured = file_values.get("managementAccountId")
    if operation not in ("preview", "up"):  # no program runs: only a pinned id to compare
        if configured is not None and str(configured) != account:
            raise SetupError(
                f"The AWS credentials belong to account {account}, but {stack_config.stack_file(ORG)} "
                f"names {configured} as the management account; use the management account's credentials."
            )
        return None
    settings = stack_config.load(ORG, file_values)
    assert isinstance(settings, stack_config.OrgConfig)

    from deploy.derive_identity import prepare_identity_adoption

    session = session_factory()
    outputs = functools.cache(lambda: _org_stack_outputs(runner))  # one `stack output` for both
    run = prepare_org_run(
        settings, file_values, session, caller=account, operation=operation,
        org_outputs=outputs, emit=_org_emitter(services),
    )
    # The hand-made Identity Center objects (the seed's) the org stack adopts on this run.
    run.env.update(
        prepare_identity_adoption(settings, session, org_outputs=outputs, emit=_org_emitter(services))
    )
    return run


def _org_emitter(services: Services) -> Callable[[str], None]:
    return lambda line: print(f"[{ORG}] {line}", file=services.stdout, flush=True)


def _org_stack_outputs(runner: StackRunner) -> Mapping[str, Any]:
    """The org stack's outputs: {} until an ``up`` of org completed (then it manages the organization,
    and its ``organizational_units``, ``accounts`` and Identity Center outputs name what it manages)."""
    try:
        return runner.outputs(ORG)
    except StackNotFoundError:
        return {}


def _org_change_before_up(org_run: OrgRun, services: Services) -> BeforeApply:
    """The one change deploy/derive.py makes in AWS (enabling policy types for an adoption): for ``up``,
    after org's preview was accepted and right before its update; ``preview`` has nothing to enable."""

    def before_apply(stack: str, emit: Callable[[str], None]) -> None:
        if stack == ORG:
            org_run.apply(emit, sleep=services.sleep)

    return before_apply


def _stackset_access(names: Sequence[str], services: Services) -> StackSetAccessGate | None:
    """The StackSets trusted-access gate for the selected security stacks that need it (None: none do, or
    no AWS call is made in this run)."""
    if not services.check_credentials:
        return None
    from deploy import stackset_access

    stacks = stackset_access.stacks_needing_access(names, services.root)
    if not stacks:
        return None
    import boto3

    client_for = services.cloudformation_client or stackset_access.session_clients(
        services.session_factory or boto3.Session
    )
    return stackset_access.StackSetAccessGate(stacks, client_for)


def _engine_version_gate(
    names: Sequence[str], services: Services, runner: StackRunner
) -> EngineVersionGate | None:
    """deploy/aurora_version.py's check for the selected environments (None: none is selected, or no AWS
    call is made in this run)."""
    table = services.stack_table()
    checked = services.check_credentials and services.check_engine_version
    if not checked or not any(table.spec(name).is_environment for name in names):
        return None
    from deploy import aurora_version

    rds_for = services.rds_client or aurora_version.workload_rds(services.session_factory)
    return aurora_version.EngineVersionGate(services.root, rds_for, runner.outputs)


def _stack_emitter(name: str, services: Services) -> Callable[[str], None]:
    return lambda line: print(f"[{name}] {line}", file=services.stdout, flush=True)


def _chained(first: BeforeApply | None, second: BeforeApply) -> BeforeApply:
    def both(stack: str, emit: Callable[[str], None]) -> None:
        if first is not None:
            first(stack, emit)
        second(stack, emit)

    return both


def _warn_unmatched(allow_replace: Sequence[str], summary: Summary, services: Services) -> None:
    """An ``--allow-replace`` that named nothing the previews would replace or delete: a typo, likely."""
    from deploy.changes import unmatched

    reports = [outcome.preview for outcome in summary.outcomes if outcome.preview is not None]
    if len(reports) < len(summary.outcomes):  # a stack was not previewed: its changes are unknown
        return
    for value in unmatched(allow_replace, reports):
        print(f"warning: --allow-replace {value} named no replace or delete in the previews",
              file=services.stderr)


class _UsageError(DeployError):
    exit_code = EXIT_USAGE
