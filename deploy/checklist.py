"""The manual steps before a first deploy, as data, with how ``plan`` knows which are still open.

Each :class:`Step` says what to do and how its state is found: from the stack files (example values
left, ``organization.importId``), from the environment (``PULUMI_BACKEND_URL``, the passphrase), from the
machine (the Pulumi CLI on PATH), or "check by hand" when nothing offline can tell. ``plan`` prints the
list after its summary; the README's manual-steps section holds the same list, generated from :data:`STEPS`
(``python -m deploy.checklist --write-readme``; a test keeps them in step).
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components import config as stack_config
from deploy import stacks
from deploy.placeholders import Placeholder, scan

DONE = "done"
OPEN = "open"
BY_HAND = "check by hand"
OPTIONAL = "optional"

PROJECT = stack_config.PROJECT
BACKEND_VAR = "PULUMI_BACKEND_URL"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


@dataclass(frozen=True)
class Facts:
    """What the steps' states are found from."""

    files: Mapping[str, Mapping[str, Any]]  # stack -> the stack file's whole YAML (readable files only)
    placeholders: Sequence[Placeholder]
    environ: Mapping[str, str]
    pulumi_cli: str | None  # where `pulumi` is on PATH

    def config(self, stack: str) -> Mapping[str, Any]:
        block = self.files.get(stack, {}).get("config")
        return block if isinstance(block, Mapping) else {}


State = tuple[str, str]  # (status, detail)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    how: str  # Markdown, for the README
    state: Callable[[Facts], State]


@dataclass(frozen=True)
class StepState:
    step: Step
    status: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"step": self.step.key, "title": self.step.title, "status": self.status, "detail": self.detail}


# --- how each state is found ------------------------------------------------------------------


def _pulumi_cli(facts: Facts) -> State:
    if facts.pulumi_cli:
        return DONE, f"pulumi is {facts.pulumi_cli}"
    return OPEN, "pulumi is not on PATH (plan does not need it)"


def _backend(facts: Facts) -> State:
    url = facts.environ.get(BACKEND_VAR)
    if url:
        return DONE, f"{BACKEND_VAR}={url}"
    return OPEN, f"{BACKEND_VAR} is not set: the state would stay in .pulumi-state/ of this checkout"


def _secrets(facts: Facts) -> State:
    names = [name for name in PASSPHRASE_VARS if facts.environ.get(name)]
    if names:
        return DONE, f"{names[0]} is set"
    if facts.environ.get(BACKEND_VAR, "").startswith(("https://", "http://")):
        return DONE, "the Pulumi Cloud backend encrypts the secrets"
    # A stack file's top-level `secretsprovider` (default: passphrase) says how its secrets are encrypted.
    with_passphrase = [
        stack
        for stack, data in facts.files.items()
        if str(data.get("secretsprovider") or "passphrase").startswith("passphrase")
    ]
    if facts.files and not with_passphrase:
        return DONE, "every stack file names a secretsprovider"
    return OPEN, f"neither {' nor '.join(PASSPHRASE_VARS)} is set"


def _by_hand(detail: str) -> Callable[[Facts], State]:
    return lambda facts: (BY_HAND, detail)


def _organization(facts: Facts) -> State:
    organization = facts.config(stacks.ORG).get(f"{PROJECT}:organization")
    import_id = organization.get("importId") if isinstance(organization, Mapping) else None
    if import_id:
        return DONE, f"{PROJECT}:organization.importId is {import_id}"
    return DONE, "automatic: preview and up adopt the caller's organization (deploy/derive.py)"


def _derived_unless_example(key: str, derived: str) -> Callable[[Facts], State]:
    """A value the driver or the program derives: open only while the file sets it to an example."""
    claimed = _placeholders(key)

    def state(facts: Facts) -> State:
        status, detail = claimed(facts)
        return (status, detail) if status == OPEN else (DONE, derived)

    return state


# Which example values each step answers for; the last placeholder step takes the rest.
_CLAIMS: dict[str, Callable[[Placeholder], bool]] = {
    "management-account": lambda p: p.key == f"{PROJECT}:managementAccountId",
    "e-mails": lambda p: "@" in p.value,
    "cognito-domains": lambda p: p.key == f"{PROJECT}:cognito.domainPrefix",
}


def _placeholders(key: str | None) -> Callable[[Facts], State]:
    def state(facts: Facts) -> State:
        if key is None:
            left = [p for p in facts.placeholders if not any(claim(p) for claim in _CLAIMS.values())]
        else:
            left = [p for p in facts.placeholders if _CLAIMS[key](p)]
        if not left:
            return DONE, "no example value left"
        return OPEN, f"{len(left)} example value(s) left, the first {left[0].source}: {left[0].key}"

    return state


def _frontend(facts: Facts) -> State:
    # Environment stacks only: their file names an environment (deploy/stacks.py, the file's layer).
    environments = [name for name in facts.files if stacks.ENVIRONMENT_KEY in facts.config(name)]
    frontends = {stack: facts.config(stack).get(f"{PROJECT}:frontend") for stack in environments}
    missing = [
        stack
        for stack, frontend in frontends.items()
        if not (isinstance(frontend, Mapping) and frontend.get("repository"))
    ]
    if not missing:
        return DONE, "connected in every environment"
    return OPTIONAL, f"not connected in {', '.join(stack_config.stack_file(stack) for stack in missing)}"


STEPS: tuple[Step, ...] = (
    Step(
        "pulumi-cli", "Install the Pulumi CLI 3.x",
        "<https://www.pulumi.com/docs/install/>. `preview`, `up` and the other commands drive it; "
        "`plan` does not need it.",
        _pulumi_cli,
    ),
    Step(
        "state-backend", "Choose the state backend",
        "`export PULUMI_BACKEND_URL=s3://<bucket>/<prefix>`, or `https://api.pulumi.com` for Pulumi "
        "Cloud. Unset, the driver and plain `pulumi` (run at the project root) both use `backend.url` "
        "of `Pulumi.yaml`: `.pulumi-state/` of this checkout, which CI refuses.",
        _backend,
    ),
    Step(
        "secrets", "Set the secrets passphrase",
        "`export PULUMI_CONFIG_PASSPHRASE=...` (or `PULUMI_CONFIG_PASSPHRASE_FILE`) for a file or S3 "
        "backend, and keep it: the stacks' secrets cannot be read without it. Pulumi Cloud, or a "
        "`secretsprovider:` such as `awskms://...` in every stack file, needs none.",
        _secrets,
    ),
    Step(
        "credentials", "Use credentials of the management account",
        "With rights on Organizations, Budgets and Identity Center, e.g. `aws sso login --profile "
        "management && export AWS_PROFILE=management`. `preview` and `up` check them with "
        "`sts:GetCallerIdentity` before anything else.",
        _by_hand("not knowable offline; preview and up check them first"),
    ),
    Step(
        "identity-center", "Enable IAM Identity Center in the management account",
        "Once, in the console, in the stack's region: IAM Identity Center → Enable. The API cannot create "
        "the organization's instance; the program looks it up and stops with one line when there is none.",
        _by_hand("not knowable offline; the program stops with one line when it is off"),
    ),
    Step(
        "organization", "Adopt the existing organization (automatic)",
        "Enabling Identity Center creates the organization, so it usually exists: `preview` and `up` find "
        "it and adopt it, enabling the trusted access and policy types the config lists first (`up` only). "
        "Its first run also adopts what was made by hand (OUs, accounts by e-mail, Identity Center users, "
        "groups, permission sets); the next `up` applies the config. `organization.importId` pins it.",
        _organization,
    ),
    Step(
        "management-account", "The management account id (automatic)",
        "Read from your credentials at deploy time and accepted only if they are the organization's "
        "management account. Set `landing-zone:managementAccountId` in `Pulumi.org.yaml` to pin it (plain "
        "`pulumi up -s org` needs it, or `LANDING_ZONE_MANAGEMENT_ACCOUNT_ID`).",
        _derived_unless_example(
            "management-account", "automatic: derived at deploy time from the caller identity"
        ),
    ),
    Step(
        "e-mails", "Put your mailbox in the e-mail pattern",
        "`landing-zone:emailPattern` in `Pulumi.org.yaml`, e.g. `aws+{key}@your-domain.org`: every member "
        "account (its root user), the budget notifications and the Identity Center users get an address "
        "from it. An explicit `email` or `notify` overrides it.",
        _placeholders("e-mails"),
    ),
    Step(
        "cognito-domains", "Cognito domain prefixes (automatic)",
        "`tasks-<environment>-<IdP account id>`, unique per account. Set `landing-zone:cognito.domainPrefix` "
        "to choose your own: global to the region, and without `aws`, `amazon` or `cognito`.",
        _derived_unless_example("cognito-domains", "automatic: tasks-<environment>-<IdP account id>"),
    ),
    Step(
        "other-examples", "Replace every other example value",
        "`plan` warns about each example value left in the stack files (`deploy/placeholders.py` says "
        "which values are examples); `preview` and `up` refuse to start while any remain.",
        _placeholders(None),
    ),
    Step(
        "frontend-repository", "Connect the frontend repository (optional)",
        "`landing-zone:frontend.repository` and `accessTokenSecret` (a Secrets Manager secret holding a "
        "GitHub token, in the workload account) in each environment's stack file; without them, deploy "
        "a build of the frontend by hand.",
        _frontend,
    ),
)


# --- evaluating and rendering -----------------------------------------------------------------


def _read_files(root: Path) -> dict[str, Mapping[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    files: dict[str, Mapping[str, Any]] = {}
    for name in stacks.stack_names(root):  # tolerant: plan reports a bad stack file on its own
        path = root / stack_config.stack_file(name)
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except (OSError, yaml.YAMLError):
            continue  # plan reports an unreadable stack file on its own
        if isinstance(data, Mapping):
            files[name] = data
    return files


def gather(root: Path = stack_config.PROJECT_ROOT, environ: Mapping[str, str] | None = None) -> Facts:
    files = _read_files(root)
    found: list[Placeholder] = []
    for name, data in files.items():
        block = data.get("config")
        if isinstance(block, Mapping):
            found.extend(scan(block, stack_config.stack_file(name)))
    return Facts(files, found, os.environ if environ is None else environ, shutil.which("pulumi"))


def evaluate(facts: Facts) -> list[StepState]:
    return [StepState(step, *step.state(facts)) for step in STEPS]


def render(states: Sequence[StepState]) -> list[str]:
    """The checklist as ``plan`` prints it: a count, then one line per step."""
    counts = {status: sum(state.status == status for state in states) for status in (OPEN, BY_HAND, DONE)}
    lines = [
        f"manual steps before the first deploy: {counts[OPEN]} open, {counts[BY_HAND]} to check by hand, "
        f"{counts[DONE]} done (README: Manual steps before a first deploy)"
    ]
    width = max(len(state.status) for state in states) if states else 0
    for number, state in enumerate(states, 1):
        lines.append(f"  {state.status.ljust(width)}  {number:2d}. {state.step.title}: {state.detail}")
    return lines


README_START = (
    "<!-- checklist: generated from deploy/checklist.py by `python -m deploy.checklist --write-readme` -->"
)
README_END = "<!-- /checklist -->"


def readme_block() -> str:
    """The README's copy of the checklist, markers included."""
    lines = [README_START, ""]
    lines += [f"{number}. **{step.title}.** {step.how}" for number, step in enumerate(STEPS, 1)]
    lines += ["", README_END]
    return "\n".join(lines)


def update_readme(text: str) -> str:
    """``text`` with the block between the markers replaced by :func:`readme_block`."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no checklist markers ({README_START} ... {README_END})")
    return text[:start] + readme_block() + text[end + len(README_END) :]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.checklist", description="The manual steps before a first deploy."
    )
    parser.add_argument("--write-readme", action="store_true", help="regenerate the README's copy")
    args = parser.parse_args(argv)
    if args.write_readme:
        readme = stack_config.PROJECT_ROOT / "README.md"
        readme.write_text(update_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    print("\n".join(render(evaluate(gather()))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
