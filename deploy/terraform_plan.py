"""What ``plan`` recorded, written as a Terraform plan JSON, so scanners that read Terraform plans (Checkov)
check this Pulumi program as they would check Terraform code: ``python -m deploy plan --terraform-plan DIR``.

The document follows ``terraform show -json`` of a plan that creates everything (format 1.x): the fields
Checkov's plan parser reads (``checkov/terraform/plan_parser.py``) are all there:

- ``planned_values.root_module.resources[]``: ``address`` (``<type>.<Pulumi name>``), ``mode``, ``type``,
  ``name``, ``provider_name`` and ``values``, the program's inputs under their Terraform names
  (``deploy.terraform_names``); a block is a list of objects, JSON text (policies, container
  definitions) stays text, numbers are numbers.
- A secret input is left out of ``values`` and marked in ``sensitive_values``; an input that is another
  resource's id or ARN is unknown until that resource exists: left out (``null`` in a list), marked in
  ``after_unknown`` and given as a reference in ``configuration`` (``aws_security_group.x.id``), which is
  how a real plan of a new stack shows it and how Checkov's graph links resources.
- ``resource_changes[]``: every resource is a ``create``.
- ``configuration``: one provider config per explicit aws provider (alias = its Pulumi name) and each
  resource's ``provider_config_key`` and references.

Not exported, and so not scanned (listed under ``x_pulumi.not_exported``): awsx components, whose
children (VPC, subnets, NAT gateways, routes) the awsx provider creates out of the program's sight;
resources of other packages (the database password lives only in the stack state).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploy import terraform_names as names
from deploy.simulate import PROVIDER_TYPE_PREFIX, RecordedResource, Recording

if TYPE_CHECKING:
    from deploy.plan import PlanReport

FORMAT_VERSION = "1.2"
TERRAFORM_VERSION = "1.9.8"  # the plan format version Checkov is given; no Terraform runs
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
SUFFIX = ".tfplan.json"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime.rpc.UNKNOWN
_SECRET_KEY = "4dabf18193072939515e22adb298388d"  # pulumi.runtime.rpc._special_sig_key
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # pulumi.runtime.rpc._special_secret_sig
# Outputs another resource's input may take: a reference to the resource in a real plan.
_REFERENCE_OUTPUTS = re.compile(r"^(id|arn|name)$|(Id|Arn|Name|Endpoint|DnsName)$")


@dataclass
class ExportedPlan:
    stack: str
    document: dict[str, Any]
    exported: int = 0
    not_exported: list[str] = field(default_factory=list)  # "<name> (<type>): why"
    derived_types: list[str] = field(default_factory=list)  # tokens mapped by the default rule

    def summary(self) -> str:
        text = f"{self.stack}: {self.exported} resource(s)"
        if self.not_exported:
            text += f", {len(self.not_exported)} not exported ({'; '.join(self.not_exported)})"
        if self.derived_types:
            text += f"; Terraform type derived, not from the bridge's table: {', '.join(self.derived_types)}"
        return text


def write_plans(report: PlanReport, directory: Path) -> list[str]:
    """Write ``<stack>.tfplan.json`` for each stack whose program ran; one summary line per stack."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for stack_plan in report.plans:
        if not stack_plan.program_ran or stack_plan.recording is None:
            lines.append(f"{stack_plan.stack}: not written (the program did not run: {stack_plan.message})")
            continue
        exported = export(stack_plan.recording)
        path = directory / f"{stack_plan.stack}{SUFFIX}"
        path.write_text(json.dumps(exported.document, indent=1) + "\n", encoding="utf-8")
        lines.append(f"{exported.summary()} -> {path}")
    return lines


def export(recording: Recording) -> ExportedPlan:
    """The Terraform plan document of one recorded stack."""
    result = ExportedPlan(recording.stack, {})
    providers = {r.urn: r for r in recording.resources if r.type == f"{PROVIDER_TYPE_PREFIX}aws"}
    selected: list[tuple[RecordedResource, str]] = []
    for resource in sorted(recording.resources, key=lambda r: (r.type, r.name, r.urn)):
        why = _not_exported(resource)
        if why:
            if why != "-":
                result.not_exported.append(f"{resource.name} ({resource.type}): {why}")
            continue
        terraform_type, verified = names.resource_type(resource.type)
        if not verified and resource.type not in result.derived_types:
            result.derived_types.append(resource.type)
        selected.append((resource, terraform_type))
    addresses = _addresses(selected)
    targets = _reference_targets(selected, addresses)

    planned, changes, configured = [], [], []
    for resource, terraform_type in selected:
        address = addresses[resource.urn]
        converted = _Converted()
        _convert(resource.type, names.args_class(resource.type), resource.inputs, converted,
                 _References(targets, set(resource.dependencies), terraform_type))
        for attribute, default in names.DEFAULTS.get(terraform_type, {}).items():
            if attribute not in converted.values and attribute not in converted.unknown:
                converted.values[attribute] = default
        common = {"address": address, "mode": "managed", "type": terraform_type,
                  "name": address.split(".", 1)[1]}
        planned.append({**common, "provider_name": AWS_PROVIDER, "schema_version": 0,
                        "values": converted.values, "sensitive_values": converted.sensitive})
        changes.append({**common, "provider_name": AWS_PROVIDER, "change": {
            "actions": ["create"], "before": None, "after": converted.values,
            "after_unknown": converted.unknown, "before_sensitive": False,
            "after_sensitive": converted.sensitive,
        }})
        provider_key = _provider_key(providers.get(resource.provider or ""))
        configured.append({**common, "provider_config_key": provider_key,
                           "expressions": converted.expressions, "schema_version": 0})
    result.exported = len(planned)
    result.document = {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {_provider_key(p): _provider_config(p) for p in providers.values()},
            "root_module": {"resources": configured},
        },
        "x_pulumi": {
            "stack": recording.stack,
            "note": "written by python -m deploy plan --terraform-plan from the program run under mocks",
            "urns": {addresses[r.urn]: r.urn for r, _ in selected},
            "not_exported": result.not_exported,
            "derived_types": result.derived_types,
        },
    }
    return result


def _not_exported(resource: RecordedResource) -> str | None:
    """Why a recorded resource has no Terraform counterpart ("-": not a resource at all), or None."""
    if resource.is_provider or not (resource.custom or resource.remote):
        return "-"  # providers become provider configs; local components only group their children
    if resource.remote:
        return ("awsx component: its children are created by the awsx provider, outside the recording, "
                "so they are not scanned")
    if not resource.type.startswith("aws:"):
        return "-" if resource.type.startswith("pulumi:") else "not an AWS resource (stack state only)"
    return None


def _addresses(selected: Iterable[tuple[RecordedResource, str]]) -> dict[str, str]:
    """URN -> ``<type>.<name>``; a name is made a valid Terraform identifier and unique per type."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for resource, terraform_type in selected:
        name = re.sub(r"[^A-Za-z0-9_-]", "_", resource.name)
        if not re.match(r"[A-Za-z_]", name):
            name = f"_{name}"
        address, counter = f"{terraform_type}.{name}", 1
        while address in taken:
            counter += 1
            address = f"{terraform_type}.{name}_{counter}"
        taken.add(address)
        result[resource.urn] = address
    return result


@dataclass(frozen=True)
class _Target:
    urn: str
    address: str
    terraform_type: str
    attribute: str  # the Terraform name of the output, e.g. "id", "arn", "endpoint"


def _reference_targets(selected: Iterable[tuple[RecordedResource, str]], addresses: Mapping[str, str]
                       ) -> dict[str, list[_Target]]:
    """Output value -> the resources and outputs it comes from (ids, ARNs, names, endpoints)."""
    targets: dict[str, list[_Target]] = {}
    for resource, terraform_type in selected:
        outputs = {"id": resource.id, **resource.outputs}
        for key, value in outputs.items():
            if isinstance(value, str) and len(value) > 3 and _REFERENCE_OUTPUTS.search(key):
                attribute = "id" if key == "id" else names.camel_to_snake(key)
                targets.setdefault(value, []).append(
                    _Target(resource.urn, addresses[resource.urn], terraform_type, attribute))
    return targets


@dataclass
class _References:
    targets: Mapping[str, list[_Target]]
    dependencies: set[str]  # URNs this resource's inputs came from
    terraform_type: str

    def find(self, value: Any, attribute: str) -> list[str] | None:
        """The Terraform reference of an input that is a dependency's output, or None."""
        if not isinstance(value, str):
            return None
        words = set(attribute.split("_"))

        def named(target: _Target) -> int:  # db_subnet_group_name names aws_db_subnet_group: 3
            return len(words & set(target.terraform_type.removeprefix("aws_").split("_")))

        # An id or ARN of a dependency is a reference; a name or endpoint only where the attribute names
        # the dependency's type (a cluster's own identifier may equal its subnet group's name).
        candidates = [t for t in self.targets.get(value, []) if t.urn in self.dependencies
                      and (t.attribute in ("id", "arn") or named(t))]
        if not candidates:
            return None
        best = max(candidates, key=lambda t: (named(t), {"id": 2, "arn": 1}.get(t.attribute, 0)))
        return [f"{best.address}.{best.attribute}", best.address]


@dataclass
class _Converted:
    values: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, Any] = field(default_factory=dict)
    sensitive: dict[str, Any] = field(default_factory=dict)
    expressions: dict[str, Any] = field(default_factory=dict)


def _convert(owner_token: str, owner: type | None, inputs: Mapping[str, Any], out: _Converted,
             references: _References) -> None:
    """Pulumi inputs -> Terraform values of one resource or block, with its references and markers."""
    known = names.attributes(owner_token, owner) if owner is not None else {}
    for key, value in sorted(inputs.items()):
        attribute = known.get(key) or _guess(key, value)
        name = attribute.terraform_name
        if _is_secret(value):
            out.sensitive[name] = True
            continue
        if value is None or value == UNKNOWN:
            if value == UNKNOWN:
                out.unknown[name] = True
            continue
        if attribute.kind in (names.BLOCK, names.BLOCKS) and isinstance(value, (Mapping, list)):
            items = [value] if isinstance(value, Mapping) else value
            blocks = [_convert_block(attribute.block_type, item, references) for item in items
                      if isinstance(item, Mapping)]
            out.values[name] = [block.values for block in blocks]
            if any(block.expressions for block in blocks):
                out.expressions[name] = [block.expressions for block in blocks]
            if any(block.unknown for block in blocks):
                out.unknown[name] = [block.unknown for block in blocks]
            if any(block.sensitive for block in blocks):
                out.sensitive[name] = [block.sensitive for block in blocks]
        elif isinstance(value, list):
            refs = [references.find(item, name) for item in value]
            out.values[name] = [None if ref else _scalar(item) for item, ref in zip(value, refs, strict=True)
                                if not _is_secret(item)]
            if any(refs):
                out.expressions[name] = {"references": [r for ref in refs if ref for r in ref]}
                out.unknown[name] = [bool(ref) for ref in refs]
        elif isinstance(value, Mapping) and attribute.kind == names.MAP:
            out.values[name] = {k: _scalar(v) for k, v in value.items() if not _is_secret(v)}
        elif isinstance(value, (Mapping, list)):
            out.values[name] = json.dumps(value, separators=(",", ":"))  # JSON-typed input: text in Terraform
        elif (ref := references.find(value, name)) is not None:
            out.expressions[name] = {"references": ref}
            out.unknown[name] = True
        else:
            out.values[name] = _scalar(value)


def _convert_block(block_type: type | None, value: Mapping[str, Any], references: _References) -> _Converted:
    converted = _Converted()
    token = names.nested_token(block_type) if block_type is not None else ""
    _convert(token, block_type, value, converted, references)
    return converted


def _guess(key: str, value: Any) -> names.Attribute:
    """An input the SDK does not declare (or no SDK class found): its shape from its value."""
    if isinstance(value, Mapping) and not _is_secret(value):
        return names.Attribute(names.camel_to_snake(key), names.BLOCK)
    if isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
        return names.Attribute(names.camel_to_snake(key), names.BLOCKS)
    return names.Attribute(names.camel_to_snake(key), names.LIST if isinstance(value, list) else names.SCALAR)


def _is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(_SECRET_KEY) == _SECRET_SIG


def _scalar(value: Any) -> Any:
    """The engine sends every number as a float; Terraform shows whole numbers without a fraction."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _provider_key(provider: RecordedResource | None) -> str:
    return f"aws.{re.sub(r'[^A-Za-z0-9_-]', '_', provider.name)}" if provider is not None else "aws"


def _provider_config(provider: RecordedResource) -> dict[str, Any]:
    expressions: dict[str, Any] = {}
    for key in ("region", "allowedAccountIds"):
        value = provider.provider_setting(key)
        if value is not None and not _is_secret(value):
            expressions[names.camel_to_snake(key)] = {"constant_value": value}
    alias = _provider_key(provider).split(".", 1)[1]
    return {"name": "aws", "full_name": AWS_PROVIDER, "alias": alias, "expressions": expressions}
