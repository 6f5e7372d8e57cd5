"""``plan``'s production check: what a production stack lowers, and where its accounts are.

* Every ``productionOptOuts`` entry of a production stack is a WARNING on every run, naming the stack
  file, the entry, the protection it lowers and the reason given: a lowered protection never goes
  unnoticed.
* With the org stack's outputs the program run recorded (its stack reference), the accounts are checked
  by the same function the program applies when those outputs resolve under the engine
  (components/production_accounts.py): an ERROR naming the stack file and key.

Which stacks are production, and the invariants, are policies/production.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components import config as stack_config
from components.production_accounts import non_production_identity_accounts, production_account_problems
from components.settings.production import OPT_OUTS_KEY
from deploy.simulate import STACK_REFERENCE, Recording
from deploy.stack_checks import ERROR, WARNING, Finding, StackContext

CHECK = "production"


def recorded_org_outputs(recording: Recording) -> Mapping[str, Any] | None:
    """The org stack's outputs the program read through its stack reference, as recorded."""
    for read in recording.reads:
        outputs = read.outputs.get("outputs") if read.type == STACK_REFERENCE else None
        if isinstance(outputs, Mapping):
            return outputs
    return None


def production_check(context: StackContext) -> list[Finding]:
    settings = context.settings
    if not isinstance(settings, stack_config.EnvConfig) or not settings.is_production:
        return []
    key = f"{context.source}: {stack_config.PROJECT}:{OPT_OUTS_KEY}"
    findings = [
        Finding(CHECK, WARNING, f"{key}[{index}]", f"production protection lowered: {opt_out.resource} "
                f"({opt_out.lowers}); reason: {opt_out.reason}")
        for index, opt_out in enumerate(settings.production_opt_outs)
    ]
    org_outputs = recorded_org_outputs(context.recording) if context.recording is not None else None
    if org_outputs is not None:
        problems = production_account_problems(settings, org_outputs, non_production_identity_accounts())
        findings += [Finding(CHECK, ERROR, f"{context.source}: {where}", why) for where, why in problems]
    return findings
