"""Command line of the driver: ``python -m deploy <command> [options]``.

``plan`` needs nothing but this checkout. The other commands drive the Pulumi CLI through the
Automation API (``deploy.automation``) in the order of the stack table (``deploy.stacks``, discovered from
the stack files); see ``--help`` of each.
``preview``, ``up``, ``refresh`` and ``destroy`` run in ``deploy.operations``; ``Services`` (what the
commands reach outside the process) is in ``deploy.services`` and re-exported here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from components import config as stack_config
from deploy.operations import cmd_operation
from deploy.runner import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SETUP,
    DeployError,
    SetupError,
    StackRunner,
)
from deploy.services import Services, check_backend, make_runner
from deploy.stacks import StackTable

DESCRIPTION = """\
Deploy the landing zone (stack org) and the environments in order, or plan them offline.

order:   {order}
destroy: {destroy}

exit codes: 0 success; 1 a stack, readiness wait, smoke check or plan validation failed;
2 usage error, example values left in the stack files (preview, up), no confirmation, or a stateful
resource that up would replace or delete without --allow-replace naming it; 3 the
machine is not set up (Pulumi CLI, passphrase, AWS credentials); 4 another update holds a stack's
lock (retry later); 130 interrupted (Ctrl-C), the summary still printed.
"""

HELP = {
    "plan": "offline: run every program under Pulumi's mock runtime and show what would be created, "
    "in which account and order, with config and policy validation (no cloud, no CLI)",
    "preview": "pulumi preview of each stack, in order",
    "up": "deploy in order: org, then security, cicd and each environment once its accounts accept role "
    "assumption (environments smoke-checked); each stack is previewed first and gets exactly what its "
    "preview showed",
    "refresh": "pulumi refresh of each stack (read real state back), in order",
    "destroy": "destroy in reverse order; org, protected stacks (security, cicd) and production stacks only "
    "when named with --stack",
    "outputs": "print the stack outputs of deployed stacks",
    "profiles": "print or --write the AWS CLI SSO profiles of the Identity Center assignments, from the "
    "deployed org stack or, before any deploy, from the offline plan (--from-plan)",
    "diagram": "offline: draw the organization and each environment from plan's recordings, as SVG "
    "(Graphviz) and Mermaid (docs/diagram.md); --check fails when those files are stale",
    "wake": "start a sleeping environment's service now; it sleeps again at the next scheduled evening",
    "bootstrap": "create or adopt the shared state backend (S3 bucket + KMS key) and print the values to use",
    "migrate-state": "copy every stack of the local file backend to another backend, outputs compared",
}
# Day-2 commands on a deployed environment: modules deploy/<name>.py with HELP, add_arguments, run.
OPERATE_COMMANDS = ("logs", "status")


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


def build_parser(stacks: StackTable) -> argparse.ArgumentParser:
    """The command line; ``--stack`` choices and the order in the help come from ``stacks``."""
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
                choices=stacks.names,
                metavar="STACK",
                help=f"one or more of {', '.join(stacks.names)} (default: all, in order); "
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
        "scanners such as Checkov (docs/guardrails.md: Scanning with Checkov)",
    )
    _add_policy_config(plan)

    # What --parallel changes depends on the command: only up has a smoke check between stacks.
    PARALLEL_HELP = {
        "preview": "preview independent stacks together (each after the stacks it needs)",
        "up": "run independent stacks together (each after the stacks it needs; an environment no longer "
        "waits for the previous one's smoke check)",
        "refresh": "refresh independent stacks together (each after the stacks it needs)",
        "destroy": "destroy independent stacks together (each before the stacks it needs)",
    }
    for name in ("preview", "up", "refresh", "destroy"):
        sub = command(name)
        if name != "preview":
            sub.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation (CI)")
        sub.add_argument("--parallel", action="store_true", help=PARALLEL_HELP[name])
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

    diagram = commands.add_parser("diagram", help=HELP["diagram"], description=HELP["diagram"])
    from deploy import diagram as diagram_command  # argparse only: graphviz is imported when drawing

    diagram_command.add_arguments(diagram)
    from deploy import wake  # out-of-hours start of a sleeping environment (deploy/wake.py)

    wake.add_arguments(commands.add_parser(
        "wake", help=HELP["wake"], description=f"{HELP['wake']}.\n\n{wake.DESCRIPTION}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ), stacks)
    for name in OPERATE_COMMANDS:
        module = importlib.import_module(f"deploy.{name}")
        sub = commands.add_parser(name, help=module.HELP, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub, stacks.environments())
        sub.set_defaults(operate=module.run)
    from deploy import bootstrap, migrate_state  # light: boto3 and the Automation API load when run

    for name, module in (("bootstrap", bootstrap), ("migrate-state", migrate_state)):
        details = (module.__doc__ or "").split("\n", 1)[-1]  # the module's docstring after its title
        module.add_arguments(commands.add_parser(
            name, help=HELP[name], description=f"{HELP[name]}.\n{details}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        ))
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
    try:
        table = services.stack_table()
    except stack_config.ConfigError as error:  # a stack file's placement: one line, before anything runs
        print(f"error: {error}", file=services.stderr)
        return EXIT_FAILED
    args = build_parser(table).parse_args(argv)
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
        return EXIT_INTERRUPTED
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
        return int(args.profiles_run(args, root=services.root))
    if args.command == "outputs":
        return cmd_outputs(args, services)
    if args.command == "diagram":
        from deploy import diagram

        return diagram.run(args, services.root, services.stdout, services.stderr)
    if args.command == "wake":
        from deploy import wake

        return wake.run(args, services)
    if args.command in OPERATE_COMMANDS:
        return int(args.operate(args, services))
    if args.command == "bootstrap":
        from deploy import bootstrap

        emit = lambda line: print(line, file=services.stdout)  # noqa: E731
        return bootstrap.run(args, services.root, emit, services.session_factory)
    if args.command == "migrate-state":
        from deploy import migrate_state

        return migrate_state.run(args, services)
    return cmd_operation(args, services)


def cmd_plan(args: argparse.Namespace, services: Services) -> int:
    from deploy import plan

    override = None
    if args.policy_config and not args.no_policies:
        from deploy import policy_config

        override = policy_config.read_override(args.policy_config)
        policy_config.build(services.root, override, source=f"--policy-config {args.policy_config}")
    report = plan.run_plan(
        args.stacks, root=services.root, policies=not args.no_policies, policy_override=override,
        stacks=services.stack_table(),
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


def cmd_outputs(args: argparse.Namespace, services: Services) -> int:
    check_backend(services, args)
    runner = make_runner(services, args)
    result: dict[str, Any] = {}
    code = EXIT_OK
    for name in services.stack_table().ordered(args.stacks):
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


__all__ = ["EXIT_SETUP", "Services", "build_parser", "main"]
