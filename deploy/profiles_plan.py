"""The org stack's outputs from the offline plan, for ``python -m deploy profiles`` before any deploy.

Two ways: the document ``python -m deploy plan --json FILE`` writes (``--outputs FILE`` accepts it), or
``--from-plan``, which runs the org program under mocks in this process. Either way the account ids and
the access portal URL are the plan's stand-ins, not the organization's: the profiles show their names
and shape, and ``--write`` refuses them (deploy/profiles.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

STAND_IN_NOTE = (
    "note: profiles from the offline plan: account ids and the access portal URL are stand-ins until the "
    "org stack is deployed (then run profiles without --outputs/--from-plan, or with --write)"
)


class PlanOutputsError(ValueError):
    """The plan has no usable outputs of the stack; ``str()`` is one line."""


def is_plan_document(data: Any) -> bool:
    return (
        isinstance(data, Mapping) and data.get("command") == "plan" and isinstance(data.get("stacks"), list)
    )


def stack_outputs(document: Mapping[str, Any], stack: str, source: str) -> dict[str, Any]:
    """The outputs the plan recorded for ``stack``."""
    for entry in document["stacks"]:
        if isinstance(entry, Mapping) and entry.get("stack") == stack:
            outputs = entry.get("outputs")
            if not isinstance(outputs, Mapping) or not outputs:
                raise PlanOutputsError(
                    f"{source}: the plan recorded no outputs for stack {stack} (its program did not "
                    f"complete: {entry.get('message') or entry.get('status')})"
                )
            return dict(outputs)
    raise PlanOutputsError(f"{source}: the plan has no stack {stack} (python -m deploy plan --json FILE)")


def offline_outputs(stack: str, root: Path) -> dict[str, Any]:
    """Run the plan of ``stack`` (no policies) and return its recorded outputs."""
    from deploy import plan

    report = plan.run_plan([stack], root=root, policies=False)
    return stack_outputs(plan_document(report), stack, "the offline plan")


def plan_document(report: Any) -> dict[str, Any]:
    return {
        "command": "plan",
        "stacks": [
            {"stack": p.stack, "status": p.status, "message": p.message,
             "outputs": p.recording.outputs if p.recording and p.program_ran else {}}
            for p in report.plans
        ],
    }
