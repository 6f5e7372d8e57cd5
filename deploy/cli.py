"""Command line of the driver: ``python -m deploy <command> [options]``.

``plan`` needs nothing but this checkout. The other commands drive the Pulumi CLI through the
Automation API (``deploy.automation``) in the order of ``deploy.stacks``; see ``--help`` of each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from components import config as stack_config
from deploy import stacks
from deploy.runner import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_SETUP,
    EXIT_USAGE,
    DeployError,
    SetupError,
    StackNotFoundError,
    StackRunner,
)

if TYPE_CHECKING:  # deploy.derive imports botocore: loaded only by the commands that need it
    from deploy.derive import OrgRun
    from deploy.orchestrator import BeforeApply, Summary

DESCRIPTION = """\
Deploy the landing zone (stack org) and the environments (pre, prod) in order, or plan them offline.

order:   {order}
destroy: {destroy}

exit codes: 0 success; 1 a stack, readiness wait, smoke check or plan validation failed;
2 usage error, example values left in the stack files (preview, up), no confirmation, or a stateful
resource that up would replace or delete without --allow-replace naming it; 3 the
machine is not set up (Pulumi CLI, passphrase, AWS credentials); 4 another update holds a stack's
lock (retry later).
"""

HELP = {
    "plan": "offline: run every program under Pulumi's mock runtime and show what would be created, "
    "in which account and order, with config and policy validation (no cloud, no CLI)",
    "preview": "pulumi preview of each stack, in order",
    "up": "deploy in order: org, wait for the accounts, pre, smoke check, prod, smoke check; each stack "
    "is previewed first and gets exactly what its preview showed",
    "refresh": "pulumi refresh of each stack (read real state back), in order",
    "destroy": "destroy in reverse order; org and prod only when named with --stack",
    "outputs": "print the stack outputs of deployed stacks",
    "profiles": "AWS CLI profiles for the Identity Center assignments (see its --help)",
}


@dataclass
class Services:
    """What the commands reach outside this process; the tests replace these."""

    root: Path = stack_config.PROJECT_ROOT
    runner: Callable[[], StackRunner] | None = None  # default: AutomationRunner(root)
    command_factory: Callable[[], Any] | None = None  # the AutomationRunner's Pulumi CLI (tests: a fake)
    session_factory: Callable[[], Any] | None = None  # default: boto3.Session
    accounts_for: Callable[[str, Mapping[str, Any]], list[tuple[str, str, str]]] | None = None
    fetch: Callable[[str, float], int] | None = None  # smoke-check HTTP GET -> status
    sleep: Callable[[float], None] = time.sleep
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    check_credentials: bool = True
    check_org_references: bool = True  # deploy/org_references.py, before each environment's first command


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deploy",
        description=DESCRIPTION.format(
            order=stacks.describe_order(), destroy=stacks.describe_order(reverse=True)
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, description: str | None = None) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, help=HELP[name], description=description or HELP[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name != "profiles":
            sub.add_argument(
                "--stack",
                dest="stacks",
                action="extend",
                nargs="+",
                choices=stacks.ORDER,
                metavar="STACK",
                help=f"one or more of {', '.join(stacks.ORDER)} (default: all, in order); "
                "repeat or list several: --stack pre prod",
            )
            sub.add_argument(
                "--json", metavar="FILE", type=Path, help="also write a machine-readable summary to FILE"
            )
        return sub

    plan = command(
        "plan",
        HELP["plan"] + ".\n\nThe org stack always runs: its outputs feed the environments as the "
        "StackReference would.\nExit 1 when a config, provider or mandatory policy check fails.",
    )
    plan.add_argument("--no-tree", action="store_true", help="leave out the resource trees")
    plan.add_argument("--no-policies", action="store_true", help="do not run the CrossGuard policies")
    plan.add_argument(
        "--terraform-plan", type=Path, metavar="DIR",
        help="also write each stack's resources as a Terraform plan JSON, DIR/<stack>.tfplan.json, for "
        "scanners such as Checkov (README: Scanning with Checkov)",
    )
    _add_policy_config(plan)

    for name in ("preview", "up", "refresh", "destroy"):
        sub = command(name)
        if name != "preview":
            sub.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation (CI)")
        sub.add_argument(
            "--parallel",
            action="store_true",
            help="run independent stacks together (pre and prod after org; prod no longer waits "
            "for pre's smoke check)",
        )
        if name in ("preview", "up"):
            sub.add_argument(
                "--policy-pack",
                action="store_true",
                help="run the project's CrossGuard pack (policies/) with the operation, with the policy "
                "config derived from the stack files (allowed regions)",
            )
            _add_policy_config(sub, " (implies --policy-pack)")
            sub.add_argument(
                "--allow-replace", action="append", default=[], metavar="URN_OR_NAME",
                help="let up replace or delete this stateful resource (database, user pool, account, "
                "secret, log group, KMS key, bucket, ...), named by URN or resource name; repeatable. "
                "Without it, up stops after the preview that shows such a change",
            )
        _add_allow_local_backend(sub)
        if name == "up":
            sub.add_argument(
                "--ready-timeout", type=float, default=900.0, metavar="SECONDS",
                help="how long to wait for new accounts to accept role assumption (default 900)",
            )
            sub.add_argument(
                "--smoke-timeout", type=float, default=300.0, metavar="SECONDS",
                help="how long an environment may take to pass its smoke check (default 300)",
            )
            sub.add_argument(
                "--skip-smoke-check", action="store_true",
                help="do not smoke-check environments (the gate between pre and prod is lost)",
            )

    outputs = command("outputs")
    outputs.add_argument("--show-secrets", action="store_true", help="print secret outputs in plain text")
    _add_allow_local_backend(outputs)

    profiles = commands.add_parser("profiles", help=HELP["profiles"], description=HELP["profiles"])
    _add_profiles(profiles)
    return parser


def _add_policy_config(parser: argparse.ArgumentParser, note: str = "") -> None:
    parser.add_argument(
        "--policy-config", type=Path, metavar="FILE",
        help="your Pulumi policy config JSON, merged over the one derived from the stack files" + note,
    )


def _add_allow_local_backend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-local-backend", action="store_true",
        help="with CI set, use a local file state backend anyway (it dies with the runner); also "
        "DEPLOY_ALLOW_LOCAL_BACKEND=1",
    )


def _add_profiles(parser: argparse.ArgumentParser) -> None:
    """Wire ``deploy/profiles.py`` (owned by the Identity Center work) if it is there."""
    try:
        from deploy import profiles
    except Exception as error:  # not written yet, or broken: the rest of the CLI still works
        reason = "deploy/profiles.py is not available" if isinstance(error, ImportError) else str(error)
        parser.set_defaults(profiles_run=None, profiles_error=reason)
        return
    profiles.add_arguments(parser)
    parser.set_defaults(profiles_run=profiles.run, profiles_error=None)


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, services: Services | None = None) -> int:
    services = services or Services()
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args, services)
    except DeployError as error:
        print(f"error: {error}", file=services.stderr)
        return error.exit_code
    except stack_config.ConfigError as error:
        print(f"error: {error}", file=services.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=services.stderr)
        return 130
    except Exception as error:
        if os.environ.get("DEPLOY_DEBUG"):
            raise
        print(f"error: unexpected {type(error).__name__}: {error} (set DEPLOY_DEBUG=1 for a traceback)",
              file=services.stderr)
        return EXIT_FAILED


def _dispatch(args: argparse.Namespace, services: Services) -> int:
    if args.command == "plan":
        return cmd_plan(args, services)
    if args.command == "profiles":
        if args.profiles_run is None:
            raise SetupError(f"the profiles command is not available: {args.profiles_error}")
        return int(args.profiles_run(args))
    if args.command == "outputs":
        return cmd_outputs(args, services)
    return cmd_operation(args, services)


def cmd_plan(args: argparse.Namespace, services: Services) -> int:
    from deploy import plan

    override = None
    if args.policy_config and not args.no_policies:
        from deploy import policy_config

        override = policy_config.read_override(args.policy_config)
        policy_config.build(services.root, override, source=f"--policy-config {args.policy_config}")
    report = plan.run_plan(
        args.stacks, root=services.root, policies=not args.no_policies, policy_override=override
    )
    print(plan.render(report, tree=not args.no_tree), file=services.stdout)
    if args.json:
        plan.write_json(report, args.json)
    if args.terraform_plan:
        from deploy import terraform_plan

        print(f"\nTerraform plans for scanners ({args.terraform_plan}):", file=services.stdout)
        for line in terraform_plan.write_plans(report, args.terraform_plan):
            print(f"  {line}", file=services.stdout)
    return report.exit_code


def _check_backend(services: Services, args: argparse.Namespace) -> None:
    """In CI, a local file state backend stops the command before anything else (deploy.backend)."""
    from deploy import backend

    allow = bool(args.allow_local_backend)
    backend.refuse_local_in_ci(backend.resolve(services.root, os.environ), os.environ, allow=allow)


def _runner(services: Services, args: argparse.Namespace, policy_config: Path | None = None) -> StackRunner:
    if services.runner is not None:
        return services.runner()
    from pulumi import automation as auto

    from deploy.automation import AutomationRunner

    return AutomationRunner(
        services.root,
        command_factory=services.command_factory or auto.PulumiCommand,
        allow_local_backend=args.allow_local_backend,
        policy_pack_config=policy_config,
    )


def cmd_outputs(args: argparse.Namespace, services: Services) -> int:
    _check_backend(services, args)
    runner = _runner(services, args)
    result: dict[str, Any] = {}
    code = EXIT_OK
    for name in stacks.ordered(args.stacks):
        try:
            values, secret = _outputs_of(runner, name)
        except DeployError as error:
            print(f"== {name}: {error}", file=services.stdout)
            result[name] = {"error": str(error)}
            code = max(code, EXIT_FAILED)
            continue
        shown = {k: ("[secret]" if k in secret and not args.show_secrets else v) for k, v in values.items()}
        result[name] = shown
        print(f"== {name}", file=services.stdout)
        for key, value in sorted(shown.items()):
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            print(f"  {key}: {text}", file=services.stdout)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return code


def _outputs_of(runner: StackRunner, name: str) -> tuple[dict[str, Any], set[str]]:
    with_secrets = getattr(runner, "outputs_with_secrets", None)
    if with_secrets is not None:
        values, secret = with_secrets(name)
        return dict(values), set(secret)
    return dict(runner.outputs(name)), set()


def cmd_operation(args: argparse.Namespace, services: Services) -> int:
    from deploy.orchestrator import Orchestrator

    operation = args.command
    names = args.stacks
    _check_backend(services, args)
    override_file: Path | None = getattr(args, "policy_config", None)
    with_pack = bool(getattr(args, "policy_pack", False) or override_file)
    policy_packs = _policy_packs(services.root) if with_pack else []
    if operation in ("preview", "up"):  # refresh and destroy do not run the program
        _check_config(stacks.ordered(names), services.root)
        _check_placeholders(operation, stacks.ordered(names), services.root)
    config_file = _write_policy_config(services.root, override_file) if with_pack else None
    runner = _runner(services, args, config_file)
    org_run = _check_credentials(stacks.ordered(names), services, operation, runner)
    confirm = None
    if operation != "preview" and not args.yes:
        from deploy import confirmation

        backend = str(getattr(runner, "backend_url", "the configured backend"))
        if operation == "up":  # asked per stack, after its preview
            confirm = confirmation.after_preview(backend, services.stdin, services.stdout)
        else:
            confirmation.before_run(operation, names, backend, services.stdin, services.stdout)
    before_apply = None
    if org_run is not None:
        # What deploy/derive.py found reaches the org program for this run (a runner that cannot pass
        # it leaves the program to stop on the missing value, naming it).
        set_program_env = getattr(runner, "set_program_env", None)
        if org_run.env and set_program_env is not None:
            set_program_env(org_run.env)
        before_apply = _org_change_before_up(org_run, services)

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
            smoke = SmokeCheck(timeout=args.smoke_timeout, sleep=services.sleep, **smoke_kwargs)

    def emit(line: str) -> None:
        print(line, file=services.stdout, flush=True)

    allow_replace: list[str] = list(getattr(args, "allow_replace", None) or [])
    references = None
    if services.check_org_references:
        from deploy.org_references import OrgReferenceGate

        references = OrgReferenceGate(services.root)
    orchestrator = Orchestrator(
        runner, readiness=readiness, smoke=smoke, references=references, emit=emit,
        allow_replace=allow_replace, confirm=confirm, before_apply=before_apply,
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
    if stacks.ORG not in names:
        return None
    file_values = stack_config.read_stack_file(stacks.ORG, services.root)
    configured = file_values.get("managementAccountId")
    if operation not in ("preview", "up"):  # no program runs: only a pinned id to compare
        if configured is not None and str(configured) != account:
            raise SetupError(
                f"The AWS credentials belong to account {account}, but {stack_config.stack_file(stacks.ORG)} "
                f"names {configured} as the management account; use the management account's credentials."
            )
        return None
    settings = stack_config.load(stacks.ORG, file_values)
    assert isinstance(settings, stack_config.OrgConfig)

    return prepare_org_run(
        settings, file_values, session_factory(), caller=account, operation=operation,
        deployed=lambda: _org_stack_deployed(runner), emit=_org_emitter(services),
    )


def _org_emitter(services: Services) -> Callable[[str], None]:
    return lambda line: print(f"[{stacks.ORG}] {line}", file=services.stdout, flush=True)


def _org_stack_deployed(runner: StackRunner) -> bool:
    """True once an ``up`` of org completed: it manages the organization, nothing is left to adopt."""
    try:
        return bool(runner.outputs(stacks.ORG))
    except StackNotFoundError:
        return False


def _org_change_before_up(org_run: OrgRun, services: Services) -> BeforeApply:
    """The one change deploy/derive.py makes in AWS (enabling policy types for an adoption): for ``up``,
    after org's preview was accepted and right before its update; ``preview`` has nothing to enable."""

    def before_apply(stack: str, emit: Callable[[str], None]) -> None:
        if stack == stacks.ORG:
            org_run.apply(emit, sleep=services.sleep)

    return before_apply


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


__all__ = ["EXIT_SETUP", "Services", "build_parser", "main"]
