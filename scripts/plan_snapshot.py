"""Snapshot what the shipped stack files declare, and compare two snapshots.

A restructuring must not change a resource. ``plan --json`` lists the resources; this records their
inputs too, so that two commits can be compared exactly:

    python scripts/plan_snapshot.py save /tmp/before.json      # on the old commit
    python scripts/plan_snapshot.py save /tmp/after.json       # on the new one
    python scripts/plan_snapshot.py diff /tmp/before.json /tmp/after.json

``diff`` exits 1 and lists every resource added, removed, or declared with other inputs, parent,
provider or options. A resource whose URN changed but that names its old URN in ``aliases`` counts as
the same resource (the engine moves it in state instead of replacing it), provided its inputs match.
Not run by CI: it is the reviewer's check for a commit that says "no resource changes".
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def snapshot() -> dict[str, dict[str, Any]]:
    """Every shipped stack under mocks: ``{stack: {urn: what the engine would receive}}``."""
    from components import config, program
    from deploy import stacks
    from deploy.simulate import simulate

    result: dict[str, dict[str, Any]] = {}
    org_outputs: dict[str, Any] = {}
    for stack in stacks.discover(ROOT).names:
        raw = config.read_stack_file(stack)
        settings = config.load(stack, raw)
        references = (
            {settings.org_stack: org_outputs}
            if isinstance(settings, config.EnvConfig | config.CicdConfig | config.SecurityConfig) else None
        )
        recording = simulate(stack, functools.partial(program.build, settings), raw_config=raw,
                             stack_outputs=references)
        if isinstance(settings, config.OrgConfig):
            org_outputs = dict(recording.outputs)
        result[stack] = {
            resource.urn: {
                "type": resource.type,
                "inputs": resource.inputs,
                "parent": resource.parent,
                "provider": resource.provider,
                "protect": resource.protect,
                "retain_on_delete": resource.retain_on_delete,
                "delete_before_replace": resource.delete_before_replace,
                "ignore_changes": sorted(resource.ignore_changes),
                "aliases": sorted(getattr(resource, "aliases", []) or []),
            }
            for resource in recording.resources
        }
    return result


def _comparable(entry: dict[str, Any]) -> str:
    """The entry minus what a move may change (parent, aliases), as canonical JSON."""
    kept = {key: value for key, value in entry.items() if key not in ("parent", "aliases")}
    return json.dumps(kept, sort_keys=True, default=str)


def diff(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for stack in sorted(set(before) | set(after)):
        old, new = before.get(stack, {}), after.get(stack, {})
        moved = {alias: urn for urn, entry in new.items() for alias in entry["aliases"] if alias in old}
        for urn, entry in old.items():
            target = urn if urn in new else moved.get(urn)
            if target is None:
                problems.append(f"{stack}: removed {urn}")
            elif _comparable(entry) != _comparable(new[target]):
                problems.append(f"{stack}: changed {urn}" + ("" if target == urn else f" (now {target})"))
            elif target == urn and entry["parent"] != new[urn]["parent"]:
                problems.append(f"{stack}: new parent for {urn}")
        matched = set(old) | set(moved.values())
        problems += [f"{stack}: added {urn}" for urn in new if urn not in matched]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("save").add_argument("file", type=Path)
    compare = commands.add_parser("diff")
    compare.add_argument("before", type=Path)
    compare.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "save":
        args.file.write_text(json.dumps(snapshot(), indent=1, sort_keys=True, default=str), encoding="utf-8")
        return 0
    problems = diff(json.loads(args.before.read_text(encoding="utf-8")),
                    json.loads(args.after.read_text(encoding="utf-8")))
    print("\n".join(problems) if problems else "same resources, inputs and options")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
