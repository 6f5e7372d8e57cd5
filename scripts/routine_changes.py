"""How many tests each routine config change breaks (issue 12: "each breaks at most one test").

Not run by CI (it runs the whole suite once per change). For each change: copy the working tree (the
files git knows about, untracked ones not ignored included; never .venv) into a temporary directory,
apply the change there, check that `python -m deploy plan` accepts it, run the suite and list the
failing tests. Prints a table; exits 1 when a change breaks more than one test.

    python scripts/routine_changes.py                  # all four changes
    python scripts/routine_changes.py --only scp --baseline
    python scripts/routine_changes.py --rev main        # the table of another commit
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_FAILURES = 1

# --- the changes: each edits the copied tree the way a person would, by hand -----------------------

# The shipped org holds 10 accounts, AWS's default quota (issue 13's log-archive and security-tooling
# filled it). So adding one is what a person does after AWS raised the quota (a Service Quotas request):
# an account for a new workload, and accountQuota set to the new limit.
NEW_ACCOUNT = """\
    - key: analytics
      name: Analytics
      ou: Workloads/SDLC
"""

RAISED_QUOTA = """\
  # AWS raised the organization's account quota (Service Quotas, AWS Organizations).
  landing-zone:accountQuota: 11
"""

# A deny-only SCP, attached next to the guardrails. The config lists every SCP once it lists any, so the
# two defaults (components/settings/landing_zone.py default_scps) are written out too.
NEW_SCP_FILE = """\
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyRootUser",
      "Effect": "Deny",
      "Action": "*",
      "Resource": "*",
      "Condition": {
        "StringLike": {
          "aws:PrincipalArn": "arn:aws:iam::*:root"
        }
      }
    }
  ]
}
"""

NEW_SCP_CONFIG = """\
  landing-zone:serviceControlPolicies:
    - name: landing-zone-guardrails
      description: Deny list of services for the organization.
      file: guardrails.json
      targets: [Security, Sandbox, Deployments, Workloads]
    - name: landing-zone-quarantine
      description: "Quarantine: denies everything except the organization access role."
      file: quarantine.json
      targets: [Suspended]
    - name: landing-zone-deny-root
      description: Member accounts' root users act only through the management account.
      file: deny-root.json
      targets: [Workloads]
"""

NEW_PERMISSION_SET_FILE = """\
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadMonitoring",
      "Effect": "Allow",
      "Action": [
        "cloudwatch:Describe*",
        "cloudwatch:Get*",
        "cloudwatch:List*",
        "logs:Describe*",
        "logs:Get*"
      ],
      "Resource": "*"
    }
  ]
}
"""

NEW_PERMISSION_SET = """\
      - name: hiperium-sso-observers-ps
        description: Read-only access to metrics and logs
        sessionDuration: PT4H
        inlinePolicy: observers.json
"""

NEW_ASSIGNMENT = """\
      - permissionSet: hiperium-sso-observers-ps
        group: hiperium-sso-provisioners-group
        accounts: [workloads-sdlc, workloads-prod]
"""


def insert_before(path: Path, marker: str, text: str) -> None:
    """Insert ``text`` before the first line that starts with ``marker`` (fails loudly when absent)."""
    lines = path.read_text().splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(marker):
            lines[index:index] = [text]
            path.write_text("".join(lines))
            return
    raise SystemExit(f"{path.name}: no line starts with {marker!r}; update scripts/routine_changes.py")


def insert_after_list(path: Path, key: str, text: str, indent: int = 2) -> None:
    """Append ``text`` to the list under ``key`` (at ``indent``): before the next line indented no deeper."""
    lines = path.read_text().splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == f"{' ' * indent}{key}:"), None)
    if start is None:
        raise SystemExit(f"{path.name}: no key {key!r}; update scripts/routine_changes.py")
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip(" ")) <= indent), len(lines))
    lines[end:end] = [text]
    path.write_text("".join(lines))


def add_account(tree: Path) -> None:
    """A new workload account once AWS raised the quota: the shipped org is at the default 10."""
    insert_after_list(tree / "Pulumi.org.yaml", "landing-zone:accounts", NEW_ACCOUNT)
    insert_before(tree / "Pulumi.org.yaml", "  landing-zone:accounts:", RAISED_QUOTA)


def add_scp(tree: Path) -> None:
    (tree / "iam_documents" / "scp" / "deny-root.json").write_text(NEW_SCP_FILE)
    insert_before(tree / "Pulumi.org.yaml", "  # IAM Identity Center", NEW_SCP_CONFIG)


def add_permission_set(tree: Path) -> None:
    (tree / "iam_documents" / "permission_sets" / "observers.json").write_text(NEW_PERMISSION_SET_FILE)
    insert_before(tree / "Pulumi.org.yaml", "    assignments:", NEW_PERMISSION_SET)
    insert_after_list(tree / "Pulumi.org.yaml", "assignments", NEW_ASSIGNMENT, indent=4)


def add_dev_stack(tree: Path) -> None:
    text = (tree / "Pulumi.pre.yaml").read_text()
    replacements = {
        "landing-zone:environment: pre": "landing-zone:environment: dev",
        "cidrBlock: 10.10.0.0/16": "cidrBlock: 10.30.0.0/16",
        "userPoolName: tasks-pre-users": "userPoolName: tasks-dev-users",
    }
    for old, new in replacements.items():
        if old not in text:
            raise SystemExit(f"Pulumi.pre.yaml: {old!r} not found; update scripts/routine_changes.py")
        text = text.replace(old, new)
    (tree / "Pulumi.dev.yaml").write_text(text.replace("# Stack pre:", "# Stack dev:", 1))


def unchanged(tree: Path) -> None:
    del tree


CHANGES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "account": ("add an account to Pulumi.org.yaml (the quota raised to 11)", add_account),
    "scp": ("add an SCP", add_scp),
    "dev": ("add an environment stack `dev`", add_dev_stack),
    "permission-set": ("add a permission set", add_permission_set),
}

# --- running ------------------------------------------------------------------------------------------

FAILURE_LINE = re.compile(r"^(FAILED|ERROR) (\S+)")


@dataclass(frozen=True)
class Outcome:
    change: str
    failing: tuple[str, ...]
    plan_ok: bool  # a realistic change is valid: `python -m deploy plan` passes on the changed tree
    seconds: float
    summary: str


def copy_tree(destination: Path, rev: str | None = None) -> None:
    """The working tree (``rev`` None) or the files of commit ``rev`` into ``destination``."""
    if rev is not None:
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
        return
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file() or name.startswith(".venv/"):
            continue  # deleted in the working tree, or a directory entry
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def run_change(key: str, apply: Callable[[Path], None], workers: str, rev: str | None) -> Outcome:
    with tempfile.TemporaryDirectory(prefix=f"routine-{key}-") as directory:
        tree = Path(directory)
        copy_tree(tree, rev)
        apply(tree)
        plan = subprocess.run([sys.executable, "-m", "deploy", "plan"], cwd=tree, capture_output=True)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-n", workers, "-p", "no:cacheprovider", "-rfE"],
            cwd=tree,
            capture_output=True,
            text=True,
        )
        elapsed = time.monotonic() - started
    lines = result.stdout.splitlines()
    failing = sorted({match.group(2) for line in lines if (match := FAILURE_LINE.match(line))})
    summary = lines[-1] if lines else result.stderr.strip().splitlines()[-1:]
    return Outcome(key, tuple(failing), plan.returncode == 0, elapsed, str(summary))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", choices=sorted(CHANGES), action="append", help="run only these changes")
    parser.add_argument("--baseline", action="store_true", help="also run the unchanged tree first")
    parser.add_argument("--rev", help="measure this commit instead of the working tree (e.g. a baseline)")
    parser.add_argument("-n", dest="workers", default="2", help="pytest-xdist workers (default 2)")
    args = parser.parse_args(argv)

    selected = [(key, *CHANGES[key]) for key in (args.only or CHANGES)]
    if args.baseline:
        selected.insert(0, ("baseline", "no change (the tree as it is)", unchanged))
    outcomes: list[tuple[str, Outcome]] = []
    for key, title, apply in selected:
        print(f"... {title}", file=sys.stderr, flush=True)
        outcome = run_change(key, apply, args.workers, args.rev)
        count = len(outcome.failing)
        print(f"    {count} failing, {outcome.seconds:.0f} s: {outcome.summary}", file=sys.stderr)
        for name in outcome.failing:
            print(f"      {name}", file=sys.stderr, flush=True)
        outcomes.append((title, outcome))

    print("| change | plan passes | tests that fail | failing tests |")
    print("|---|---|---|---|")
    for title, outcome in outcomes:
        names = ", ".join(f"`{name}`" for name in outcome.failing) or "none"
        plan = "yes" if outcome.plan_ok else "**no**"
        print(f"| {title} | {plan} | {len(outcome.failing)} | {names} |")
    too_many = [title for title, outcome in outcomes if len(outcome.failing) > ALLOWED_FAILURES]
    if too_many:
        print(f"\nbreaks more than {ALLOWED_FAILURES} test: {'; '.join(too_many)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
