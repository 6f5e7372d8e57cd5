"""Checkov on the exported Terraform plans: every failed check is fixed, or accepted by id with a reason.

    python -m deploy plan --terraform-plan build/tfplan
    python -m deploy.checkov_gate build/tfplan --checkov PATH/TO/checkov

runs Checkov (``--framework terraform_plan``) on ``<stack>.tfplan.json`` in the folder, matches each failed
check against ``policies/checkov_accepted.yaml`` and exits 1 when a failure is not accepted, or when an
entry of the table is stale (its check never ran on these plans, or no longer fails where it says):
the table stays in step with the program. ``--report FILE`` gates an existing ``checkov -o json`` report
instead. Checkov lives in its own virtualenv (requirements-checkov.txt): its pins (boto3, botocore,
policy_sentry) conflict with the project's.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.config import ConfigError
from deploy import stacks
from deploy.runner import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from deploy.terraform_plan import SUFFIX

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED_FILE = ROOT / "policies" / "checkov_accepted.yaml"
CHECK_ID = re.compile(r"^CKV2?_AWS_\d+$")
MIN_REASON = 20  # characters: a reason says why, not just "accepted"
_ENTRY_KEYS = {"check", "reason", "resources", "stacks"}


@dataclass(frozen=True)
class Acceptance:
    """One row of the table: a check id accepted, where (stacks, address patterns), and why."""

    check: str
    reason: str
    resources: tuple[str, ...] = ()  # fnmatch patterns on the address (aws_lb.pre-tasks-alb); () = all
    stacks: tuple[str, ...] = ()  # () = every stack
    where: str = ""  # "checkov_accepted.yaml: accepted[3]" for messages

    def covers(self, finding: Finding) -> bool:
        return (
            finding.check == self.check
            and (not self.stacks or finding.stack in self.stacks)
            and (not self.resources or any(fnmatch.fnmatchcase(finding.address, p) for p in self.resources))
        )


@dataclass(frozen=True)
class Finding:
    check: str
    name: str  # Checkov's title of the check
    stack: str
    address: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.check} {self.address} ({self.name})"


@dataclass
class Outcome:
    failed: list[Finding]
    accepted: list[tuple[Finding, Acceptance]] = field(default_factory=list)
    unaccepted: list[Finding] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # table entries that no longer match
    stack_order: tuple[str, ...] = ()  # the deploy order the report follows (deploy/stacks.py)

    @property
    def ok(self) -> bool:
        return not self.unaccepted and not self.stale

    def _stack_position(self, stack: str) -> tuple[int, str]:
        order = self.stack_order
        return (order.index(stack) if stack in order else len(order), stack)

    def render(self) -> str:
        lines: list[str] = []
        for stack in sorted({f.stack for f in self.failed}, key=self._stack_position):
            lines.append(f"== {stack}")
            own = [f for f in self.failed if f.stack == stack]
            for finding in sorted(own, key=lambda f: (f.check, f.address)):
                acceptance = next((a for f, a in self.accepted if f == finding), None)
                mark = "accepted" if acceptance else "FAIL    "
                lines.append(f"  {mark}  {finding.check:12} {finding.address}  ({finding.name})")
        for entry in self.stale:
            lines.append(f"STALE  {entry}")
        ids = sorted({f.check for f in self.unaccepted})
        lines.append(
            f"checkov: {len(self.failed)} failed check(s), {len(self.accepted)} accepted, "
            f"{len(self.unaccepted)} not accepted{': ' + ', '.join(ids) if ids else ''}; "
            f"{len(self.stale)} stale table entr{'y' if len(self.stale) == 1 else 'ies'}"
        )
        return "\n".join(lines)


def load_accepted(path: Path = ACCEPTED_FILE, stack_names: Sequence[str] | None = None) -> list[Acceptance]:
    """Read and validate the table; a bad entry raises ConfigError naming the file and entry.

    ``stack_names``: the stacks an entry may name (default: the project's, deploy/stacks.py).
    """
    known = list(stack_names) if stack_names is not None else list(stacks.discover(ROOT).names)
    source = path.name
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(source, "accepted", f"cannot be read: {error}") from error
    if not isinstance(document, Mapping) or set(document) != {"accepted"} or not isinstance(
        document["accepted"], list
    ):
        raise ConfigError(source, "accepted", "the file must hold one key, accepted: a list of entries")
    result: list[Acceptance] = []
    for index, entry in enumerate(document["accepted"]):
        key = f"accepted[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(source, key, "must be a mapping: check, reason, optional resources, stacks")
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            allowed = ", ".join(sorted(_ENTRY_KEYS))
            raise ConfigError(source, f"{key}.{unknown[0]}", f"unknown key (allowed: {allowed})")
        check = entry.get("check")
        if not isinstance(check, str) or not CHECK_ID.match(check):
            raise ConfigError(source, f"{key}.check",
                              f"{check!r} is not a Checkov AWS check id (CKV_AWS_n, CKV2_AWS_n)")
        reason = entry.get("reason")
        if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
            raise ConfigError(source, f"{key}.reason",
                              f"{check} needs a reason of at least {MIN_REASON} characters")
        resources = _strings(entry.get("resources", []), source, f"{key}.resources")
        selected = _strings(entry.get("stacks", []), source, f"{key}.stacks")
        for stack in selected:
            if stack not in known:
                raise ConfigError(source, f"{key}.stacks",
                                  f"{stack!r} is not a stack ({', '.join(known)})")
        acceptance = Acceptance(check, " ".join(reason.split()), tuple(resources), tuple(selected),
                                f"{source}: {key}")
        scope = (check, acceptance.resources, acceptance.stacks)
        if any((a.check, a.resources, a.stacks) == scope for a in result):
            raise ConfigError(source, key, f"{check} is accepted twice for the same resources and stacks")
        result.append(acceptance)
    return result


def _strings(value: Any, source: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(source, key, "must be a list of non-empty strings")
    return list(value)


def findings(report: Any) -> tuple[list[Finding], list[Finding], list[str]]:
    """(failed, passed, parsing errors) of a ``checkov -o json`` report (one framework or a list)."""
    failed: list[Finding] = []
    passed: list[Finding] = []
    errors: list[str] = []
    for part in report if isinstance(report, list) else [report]:
        results = part.get("results", {}) if isinstance(part, Mapping) else {}
        errors.extend(str(e) for e in results.get("parsing_errors", []))
        for key, target in (("failed_checks", failed), ("passed_checks", passed)):
            for item in results.get(key, []):
                stack = Path(str(item.get("file_path", ""))).name.removesuffix(SUFFIX)
                target.append(Finding(str(item["check_id"]), str(item.get("check_name", "")), stack,
                                      str(item.get("resource", ""))))
    return failed, passed, errors


def gate(
    failed: Sequence[Finding],
    passed: Sequence[Finding],
    accepted: Sequence[Acceptance],
    stack_order: Sequence[str] = (),
) -> Outcome:
    outcome = Outcome(list(failed), stack_order=tuple(stack_order))
    for finding in failed:
        match = next((a for a in accepted if a.covers(finding)), None)
        if match is None:
            outcome.unaccepted.append(finding)
        else:
            outcome.accepted.append((finding, match))
    ran = {f.check for f in [*failed, *passed]}
    for acceptance in accepted:
        if acceptance.check not in ran:
            outcome.stale.append(f"{acceptance.where}: {acceptance.check} is not a check Checkov ran on "
                                 "these plans (unknown id, or no resource of its type)")
        elif not any(acceptance.covers(f) for f in failed):
            outcome.stale.append(f"{acceptance.where}: {acceptance.check} no longer fails where it is "
                                 "accepted: remove the entry")
    return outcome


def checkov_command(checkov: str, plans: Path) -> list[str]:
    # Offline and quiet: no guideline download, no upload, the plan framework only.
    return [checkov, "--directory", str(plans), "--framework", "terraform_plan", "--output", "json",
            "--skip-download", "--compact"]


def run_checkov(checkov: str, plans: Path) -> Any:
    """Run Checkov on the plans and return its JSON report (exit code 1 only means checks failed)."""
    if not any(plans.glob(f"*{SUFFIX}")):
        raise ConfigError(str(plans), "plans",
                          f"no *{SUFFIX} here: run python -m deploy plan --terraform-plan first")
    done = subprocess.run(checkov_command(checkov, plans), capture_output=True, text=True, check=False,
                          env={**os.environ, "BC_SKIP_MAPPING": "TRUE"})
    if done.returncode not in (0, 1):
        raise RuntimeError(f"checkov exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)


def find_checkov(given: str | None) -> str:
    for candidate in (given, os.environ.get("CHECKOV"), str(ROOT / ".ci-checkov-venv" / "bin" / "checkov"),
                      shutil.which("checkov")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("checkov not found: pass --checkov, set CHECKOV, or run .ci/run once "
                            "(it makes .ci-checkov-venv from requirements-checkov.txt)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.checkov_gate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plans", type=Path, help="folder of <stack>.tfplan.json (plan --terraform-plan DIR)")
    parser.add_argument("--checkov", help="checkov executable (default: $CHECKOV, .ci-checkov-venv, PATH)")
    parser.add_argument("--report", type=Path, help="gate this checkov -o json report, do not run Checkov")
    parser.add_argument("--accepted", type=Path, default=ACCEPTED_FILE, help="the accepted-findings table")
    args = parser.parse_args(argv)
    try:
        stack_order = stacks.discover(ROOT).names
        accepted = load_accepted(args.accepted, stack_order)
        if args.report:
            report = json.loads(args.report.read_text(encoding="utf-8"))
        else:
            report = run_checkov(find_checkov(args.checkov), args.plans)
    except (ConfigError, FileNotFoundError, RuntimeError, json.JSONDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    failed, passed, errors = findings(report)
    outcome = gate(failed, passed, accepted, stack_order)
    print(outcome.render())
    for parse_error in errors:
        print(f"PARSE ERROR  {parse_error}")
    return EXIT_OK if outcome.ok and not errors else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
