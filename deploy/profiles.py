"""``python -m deploy profiles``: AWS CLI SSO profiles for every account assignment of the org stack.

The org stack exports ``identity_center`` (access portal URL, region) and ``sso_assignments`` (one entry
per assigned account and permission set). From them this renders one ``[sso-session NAME]`` section
and one ``[profile ...]`` per (account, permission set), so ``aws sso login --profile sandbox`` works
right after ``pulumi up``.

By default the sections are printed. ``--write`` puts them into the AWS CLI config file (``~/.aws/config``
or ``$AWS_CONFIG_FILE``) inside a managed block delimited by marker comments: every line outside the
block is kept byte for byte, a timestamped backup is made before any change, and a second run with the
same outputs changes nothing (deploy/profiles_config_file.py).

Outputs come from ``--outputs FILE`` (JSON, as printed by ``pulumi stack output --json``), or from the
org stack in the state backend through the Automation API when the Pulumi CLI is installed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import string
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from components.settings.base import ORG_STACK
from deploy import profiles_plan
from deploy.profiles_config_file import ProfilesError, default_config_file, managed_block, write_config
from deploy.runner import EXIT_FAILED, EXIT_OK, EXIT_SETUP, EXIT_USAGE

DEFAULT_SESSION = "landing-zone"
# One permission set on an account: the profile is named after the account (the seed's `sandbox`,
# `idp-pre`). Several on one account: each profile also names its permission set.
DEFAULT_NAME_PATTERN = "{account}"
DEFAULT_MULTI_NAME_PATTERN = "{account}-{permission_set}"
PLACEHOLDERS = ("account", "account_id", "permission_set", "session")
# Section names: no whitespace, no brackets, no comment characters at the start.
NAME = re.compile(r"^[\w.@+=,:/-]+$")
ACCOUNT_ID = re.compile(r"^\d{12}$")

# Exit codes (deploy/runner.py): EXIT_FAILED when the outputs or the config file cannot be used,
# EXIT_USAGE for bad arguments, EXIT_SETUP when there is no Pulumi CLI and no --outputs file.


# --------------------------------------------------------------------------------------------
# Reading the org stack's outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    account_key: str
    account_id: str
    permission_set: str


@dataclass(frozen=True)
class SsoOutputs:
    """What the profiles need from the org stack's outputs."""

    start_url: str
    region: str
    assignments: tuple[Assignment, ...]
    from_plan: bool = False  # the offline plan's stand-in values (deploy/profiles_plan.py)


def parse_outputs(outputs: Any, source: str, stack: str = ORG_STACK) -> SsoOutputs:
    """Check and extract the Identity Center outputs; errors are one line naming ``source``.

    Accepts the stack's outputs as ``pulumi stack output --json`` prints them, the same nested under the
    stack name (``{"org": {...}}``), and Automation API values (``{"value": ..., "secret": ...}``).
    """
    if not isinstance(outputs, dict):
        raise ProfilesError(f"{source}: expected a JSON object of stack outputs")
    outputs = {key: _plain(value) for key, value in outputs.items()}
    if "identity_center" not in outputs and isinstance(outputs.get(stack), dict):
        outputs = {key: _plain(value) for key, value in outputs[stack].items()}
    identity_center = outputs.get("identity_center")
    if not isinstance(identity_center, dict):
        raise ProfilesError(
            f"{source}: no identity_center output; is this the {stack} stack's outputs (after `pulumi up`)?"
        )
    start_url = identity_center.get("start_url")
    if not isinstance(start_url, str) or not start_url.startswith("https://"):
        raise ProfilesError(f"{source}: identity_center.start_url must be an https:// URL")
    region = identity_center.get("region")
    if not isinstance(region, str) or not NAME.match(region):
        raise ProfilesError(f"{source}: identity_center.region must be an AWS region name")
    raw = outputs.get("sso_assignments")
    if not isinstance(raw, list):
        raise ProfilesError(f"{source}: sso_assignments must be a list of account assignments")
    assignments: list[Assignment] = []
    for index, item in enumerate(raw):
        where = f"{source}: sso_assignments[{index}]"
        if not isinstance(item, dict):
            raise ProfilesError(f"{where} must be an object")
        values = {key: item.get(key) for key in ("account_key", "account_id", "permission_set")}
        for key, value in values.items():
            if not isinstance(value, str) or not value:
                raise ProfilesError(f"{where}.{key} must be a non-empty string")
        if not ACCOUNT_ID.match(str(values["account_id"])):
            raise ProfilesError(f"{where}.account_id must be a 12-digit account id")
        assignment = Assignment(**{key: str(value) for key, value in values.items()})
        if assignment not in assignments:
            assignments.append(assignment)
    return SsoOutputs(start_url=start_url, region=region, assignments=tuple(assignments))


def _plain(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"value", "secret"}:
        return value["value"]
    return value


def read_outputs_file(path: Path, stack: str = ORG_STACK) -> SsoOutputs:
    if not path.is_file():
        raise ProfilesError(f"{path}: outputs file not found", EXIT_USAGE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ProfilesError(
            f"{path}: not valid JSON (line {error.lineno} column {error.colno}: {error.msg})"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProfilesError(f"{path}: cannot be read ({error})") from None
    if profiles_plan.is_plan_document(data):  # `python -m deploy plan --json FILE`
        try:
            data = profiles_plan.stack_outputs(data, stack, str(path))
        except profiles_plan.PlanOutputsError as error:
            raise ProfilesError(str(error)) from None
        return replace(parse_outputs(data, str(path), stack), from_plan=True)
    return parse_outputs(data, str(path), stack)


OutputsReader = Callable[[str], Mapping[str, Any]]


def backend_outputs(stack: str) -> Mapping[str, Any]:
    """The stack's outputs from the state backend, through the Automation API and the Pulumi CLI."""
    from deploy.automation import AutomationRunner
    from deploy.runner import DeployError

    try:
        return AutomationRunner().outputs(stack)
    except DeployError as error:
        raise ProfilesError(str(error), getattr(error, "exit_code", EXIT_FAILED)) from None


def read_backend_outputs(
    stack: str, *, reader: OutputsReader = backend_outputs, which: Callable[[str], str | None] | None = None
) -> SsoOutputs:
    if (which or shutil.which)("pulumi") is None:
        raise ProfilesError(
            f"the Pulumi CLI is not installed, so the {stack} stack's outputs cannot be read from the "
            f"backend; pass --outputs FILE (JSON from `pulumi stack output --json --stack {stack}`)",
            EXIT_SETUP,
        )
    return parse_outputs(dict(reader(stack)), f"stack {stack}", stack)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    name: str
    account_id: str
    role_name: str

    @property
    def section(self) -> str:
        return "default" if self.name == "default" else f"profile {self.name}"


def check_pattern(pattern: str, option: str) -> None:
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(pattern) if field is not None]
    except ValueError as error:
        raise ProfilesError(f"{option} '{pattern}': {error}", EXIT_USAGE) from None
    for field in fields:
        if field not in PLACEHOLDERS:
            known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            raise ProfilesError(
                f"{option} '{pattern}': unknown placeholder {{{field}}} (use {known})", EXIT_USAGE
            )


def profiles(
    outputs: SsoOutputs,
    *,
    session: str = DEFAULT_SESSION,
    name_pattern: str = DEFAULT_NAME_PATTERN,
    multi_name_pattern: str = DEFAULT_MULTI_NAME_PATTERN,
) -> list[Profile]:
    """One profile per (account, permission set), named by the pattern; names must come out unique."""
    check_pattern(name_pattern, "--name-pattern")
    check_pattern(multi_name_pattern, "--multi-name-pattern")
    per_account: dict[str, int] = {}
    for assignment in outputs.assignments:
        per_account[assignment.account_key] = per_account.get(assignment.account_key, 0) + 1
    result: list[Profile] = []
    seen: dict[str, Assignment] = {}
    for assignment in outputs.assignments:
        pattern = name_pattern if per_account[assignment.account_key] == 1 else multi_name_pattern
        name = pattern.format(
            account=assignment.account_key,
            account_id=assignment.account_id,
            permission_set=assignment.permission_set,
            session=session,
        )
        if not NAME.match(name):
            raise ProfilesError(
                f"profile name '{name}' (from '{pattern}') has characters a profile name cannot have",
                EXIT_USAGE,
            )
        if name in seen:
            other = seen[name]
            raise ProfilesError(
                f"profile name '{name}' would name both {other.account_key}/{other.permission_set} and "
                f"{assignment.account_key}/{assignment.permission_set}; include {{permission_set}} or "
                "{account} in the name pattern",
                EXIT_USAGE,
            )
        seen[name] = assignment
        result.append(
            Profile(name=name, account_id=assignment.account_id, role_name=assignment.permission_set)
        )
    return result


def render(outputs: SsoOutputs, items: Sequence[Profile], *, session: str, region: str | None = None) -> str:
    """The ``[sso-session]`` section and the profiles, as AWS CLI config text (lines end with ``\\n``)."""
    lines = [
        f"[sso-session {session}]",
        f"sso_start_url = {outputs.start_url}",
        f"sso_region = {outputs.region}",
        "sso_registration_scopes = sso:account:access",
    ]
    for profile in items:
        lines += [
            "",
            f"[{profile.section}]",
            f"sso_session = {session}",
            f"sso_account_id = {profile.account_id}",
            f"sso_role_name = {profile.role_name}",
            f"region = {region or outputs.region}",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m deploy profiles``."""
    parser.add_argument(
        "--outputs", dest="outputs_file", type=Path, metavar="FILE",
        help="JSON file of the org stack's outputs (`pulumi stack output --json`) or of the offline "
             "plan (`python -m deploy plan --json FILE`); default: read them from the backend (needs the "
             "Pulumi CLI)",
    )
    parser.add_argument(
        "--from-plan", dest="from_plan", action="store_true",
        help="run the offline plan of the org stack and show the profiles it would give, before any deploy "
             "(stand-in account ids; not with --write)",
    )
    parser.add_argument(
        "--org-stack", dest="org_stack", default=ORG_STACK, metavar="NAME",
        help=f"stack whose outputs are read from the backend (default: {ORG_STACK})",
    )
    parser.add_argument(
        "--write", action="store_true",
        help="update the AWS CLI config file in place (managed block, backup first) instead of printing",
    )
    parser.add_argument(
        "--config-file", dest="config_file", type=Path, metavar="PATH",
        help="AWS CLI config file to update (default: $AWS_CONFIG_FILE or ~/.aws/config)",
    )
    parser.add_argument(
        "--session-name", dest="session_name", default=DEFAULT_SESSION, metavar="NAME",
        help=f"name of the [sso-session] section (default: {DEFAULT_SESSION})",
    )
    placeholders = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    parser.add_argument(
        "--name-pattern", dest="name_pattern", default=DEFAULT_NAME_PATTERN, metavar="PATTERN",
        help=f"profile name when one permission set is assigned on the account "
             f"(default: {DEFAULT_NAME_PATTERN}; placeholders {placeholders})",
    )
    parser.add_argument(
        "--multi-name-pattern", dest="multi_name_pattern", default=DEFAULT_MULTI_NAME_PATTERN,
        metavar="PATTERN",
        help=f"profile name when several permission sets are assigned on the account "
             f"(default: {DEFAULT_MULTI_NAME_PATTERN})",
    )
    parser.add_argument(
        "--region", dest="profile_region", metavar="REGION",
        help="default region of the profiles (default: the Identity Center region)",
    )


def run(
    args: argparse.Namespace,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    reader: OutputsReader = backend_outputs,
    root: Path | None = None,
) -> int:
    """Run ``python -m deploy profiles``; return the exit code. Errors are printed as one line.

    ``root`` holds the stack files ``--from-plan`` plans (default: the project's)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        return _run(args, out, err, reader, root)
    except ProfilesError as error:
        print(f"error: {error}", file=err)
        return error.exit_code


def _run(
    args: argparse.Namespace, out: TextIO, err: TextIO, reader: OutputsReader, root: Path | None
) -> int:
    session = str(args.session_name)
    if not NAME.match(session):
        raise ProfilesError(
            f"--session-name '{session}' must be one word (letters, digits, .@+=,:/-_)", EXIT_USAGE
        )
    region = args.profile_region
    if region is not None and not NAME.match(region):
        raise ProfilesError(f"--region '{region}' is not a region name", EXIT_USAGE)
    if getattr(args, "from_plan", False):
        if args.outputs_file is not None:
            raise ProfilesError("--from-plan and --outputs cannot be used together", EXIT_USAGE)
        from components.config import PROJECT_ROOT

        try:
            raw = profiles_plan.offline_outputs(args.org_stack, root or PROJECT_ROOT)
        except profiles_plan.PlanOutputsError as error:
            raise ProfilesError(str(error)) from None
        outputs = replace(parse_outputs(raw, "the offline plan", args.org_stack), from_plan=True)
    elif args.outputs_file is not None:
        outputs = read_outputs_file(Path(args.outputs_file), args.org_stack)
    else:
        outputs = read_backend_outputs(args.org_stack, reader=reader)
    items = profiles(
        outputs, session=session, name_pattern=args.name_pattern, multi_name_pattern=args.multi_name_pattern
    )
    if outputs.from_plan:
        if args.write:
            raise ProfilesError("--write refuses the offline plan's stand-in account ids and portal URL; "
                                "deploy the org stack first, then run profiles --write", EXIT_USAGE)
        print(profiles_plan.STAND_IN_NOTE, file=err)
    if not items:
        print(
            f"warning: the {args.org_stack} stack has no account assignments: only the sso-session",
            file=err,
        )
    body = render(outputs, items, session=session, region=region)
    if not args.write:
        out.write(managed_block(body, session))
        return EXIT_OK
    path = Path(args.config_file) if args.config_file is not None else default_config_file()
    changed, backup = write_config(path.expanduser(), body, session)
    if not changed:
        print(f"{path}: already up to date ({len(items)} profiles); nothing changed", file=out)
    else:
        saved = f"; previous version saved as {backup}" if backup else ""
        print(f"{path}: wrote sso-session {session} and {len(items)} profiles{saved}", file=out)
    names = ", ".join(profile.name for profile in items)
    if names:
        print(f"log in with: aws sso login --sso-session {session}   (profiles: {names})", file=out)
    return EXIT_OK
