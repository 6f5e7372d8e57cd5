#!/usr/bin/env python3
"""Distil the constraints of the AWS API members the program's inputs reach from botocore's models.

Reads ``policies.aws_api_members`` (which member carries which input), loads each service's model
from the installed botocore (``botocore.loaders.Loader``) and writes, for every member, its shape type
and constraints (``enum``, ``min``, ``max``, ``pattern``) to ``policies/aws_api_constraints.json``.
Loading the big models (ec2 is ~5 MB) takes a while; the policy pack reads the small file instead,
and ``tests/test_aws_values.py`` re-extracts and fails when the file is out of date.

    python scripts/extract_api_constraints.py           # rewrite the file
    python scripts/extract_api_constraints.py --check   # exit 1 when the file is out of date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from policies.aws_api_members import API_MEMBERS, TAG_MEMBERS  # noqa: E402
from policies.aws_service_rules import MEMBER_RULES  # noqa: E402

OUTPUT = ROOT / "policies" / "aws_api_constraints.json"
_CONSTRAINTS = ("enum", "min", "max", "pattern")
_STEP = re.compile(r"\[\]|\{key\}|\{\}|[^.\[{]+")


class MemberNotFound(LookupError):
    """A member path of the table does not exist in the installed model."""


def all_members() -> list[str]:
    mapped = {m for fields in API_MEMBERS.values() for m in fields.values()} | set(TAG_MEMBERS.values())
    return sorted(mapped | set(MEMBER_RULES))


def resolve(model: Any, member: str) -> Any:
    """The botocore shape of ``service:Operation.Member.Path`` (``[]`` list item, ``{}`` map value)."""
    operation, *steps = _STEP.findall(member.split(":", 1)[1].split("#", 1)[0])
    try:
        shape = model.operation_model(operation).input_shape
    except Exception as error:  # botocore raises OperationNotFoundError
        raise MemberNotFound(f"{member}: no operation {operation} in {model.service_name}") from error
    for step in steps:
        if step == "[]":
            if shape.type_name != "list":
                raise MemberNotFound(f"{member}: {shape.name} is not a list")
            shape = shape.member
        elif step in ("{}", "{key}"):
            if shape.type_name != "map":
                raise MemberNotFound(f"{member}: {shape.name} is not a map")
            shape = shape.value if step == "{}" else shape.key
        else:
            members = getattr(shape, "members", {})
            if step not in members:
                raise MemberNotFound(f"{member}: {shape.name} has no member {step}")
            shape = members[step]
    return shape


def constraint_of(shape: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"type": shape.type_name}
    for key in _CONSTRAINTS:
        if key in shape.metadata:
            found[key] = shape.metadata[key]
    return found


def extract() -> dict[str, Any]:
    """The file's content, from the installed botocore."""
    import botocore
    from botocore.loaders import Loader
    from botocore.model import ServiceModel

    loader = Loader()
    models: dict[str, Any] = {}
    members: dict[str, Any] = {}
    for member in all_members():
        service = member.split(":", 1)[0]
        if service not in models:
            models[service] = ServiceModel(loader.load_service_model(service, "service-2"), service)
        members[member] = constraint_of(resolve(models[service], member))
    api_versions = {name: model.api_version for name, model in sorted(models.items())}
    return {"botocore": botocore.__version__, "apiVersions": api_versions, "members": members}


def render(content: dict[str, Any]) -> str:
    return json.dumps(content, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is out of date")
    args = parser.parse_args(argv)
    text = render(extract())
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python scripts/extract_api_constraints.py")
            return 1
        print(f"{OUTPUT.relative_to(ROOT)} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(json.loads(text)['members'])} members)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
