"""The deploy order, as data read from the stack files.

Every ``Pulumi.<stack>.yaml`` at the project root is a stack. Its place in the order is config in its own
file (``landing-zone:deployOrder``, lower first; ``landing-zone:description`` for the driver's output).
A stack without ``landing-zone:environment`` is the org layer (the landing zone); an environment needs the
stack its ``landing-zone:orgStack`` names, whose outputs it reads. Everything the driver does (order,
gates, reverse destroy, what may run in parallel) is derived from the table ``discover`` builds, which the
entry point hands down; tests build their own with ``StackTable.of``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.settings.base import ORG_STACK, PROJECT, ConfigError, stack_file
from policies.production import is_production_stack

ORG = ORG_STACK  # the org stack's name: the one the environments' orgStack must name (deploy/plan.py)
ORG_LAYER = "org"
ENVIRONMENT_LAYER = "environment"
CICD_LAYER = "cicd"  # a file with landing-zone:ci: the CI and deploy roles (components/cicd_stack.py)
# A file with landing-zone:security: log archive, organization trail, security services, account baseline
# (components/security_stack.py).
SECURITY_LAYER = "security"

# The keys discovery reads; the settings models accept the first two and leave them to this module.
DEPLOY_ORDER_KEY = f"{PROJECT}:deployOrder"
DESCRIPTION_KEY = f"{PROJECT}:description"
ENVIRONMENT_KEY = f"{PROJECT}:environment"
ORG_STACK_KEY = f"{PROJECT}:orgStack"
CICD_KEY = f"{PROJECT}:ci"
SECURITY_KEY = f"{PROJECT}:security"
PROTECTED_KEY = f"{PROJECT}:protectedStack"  # true: destroy selects the stack only when it is named


@dataclass(frozen=True)
class StackSpec:
    """One stack and where it sits in the order.

    ``order``: its ``deployOrder``; lower deploys first, equal orders tie-break by name.
    ``needs``: stacks whose outputs this one reads; they must exist before it and are destroyed after
    it. In a sequential run a failure, a failed smoke check included, stops the stacks after it
    (deploy/orchestrator.py); ``--parallel`` runs stacks together but never before their needs.
    ``production``: a stack that ``destroy`` selects only when it is named, like the org layer
    (policies/production.py, the one definition config, program and policy pack share).
    """

    name: str
    layer: str  # ORG_LAYER, ENVIRONMENT_LAYER, CICD_LAYER or SECURITY_LAYER
    description: str
    order: int = 0
    needs: tuple[str, ...] = ()
    protected: bool = False  # landing-zone:protectedStack

    @property
    def is_environment(self) -> bool:
        return self.layer == ENVIRONMENT_LAYER

    @property
    def production(self) -> bool:
        return is_production_stack(self.name)


class StackTable:
    """The stacks in deploy order, checked: every need is a stack of the table, deployed before."""

    def __init__(self, specs: Iterable[StackSpec]) -> None:
        ordered_specs = sorted(specs, key=lambda spec: (spec.order, spec.name))
        self._by_name = {spec.name: spec for spec in ordered_specs}
        if len(self._by_name) != len(ordered_specs):
            raise ValueError("a stack is listed twice")
        self.specs: tuple[StackSpec, ...] = tuple(ordered_specs)
        self.names: tuple[str, ...] = tuple(spec.name for spec in ordered_specs)
        self._check_needs()

    @classmethod
    def of(cls, *specs: StackSpec) -> StackTable:
        return cls(specs)

    def _check_needs(self) -> None:
        for spec in self.specs:
            for need in spec.needs:
                if need not in self._by_name:
                    raise ConfigError(
                        stack_file(spec.name), ORG_STACK_KEY,
                        f"names stack '{need}', which has no stack file ({stack_file(need)}); stacks: "
                        + ", ".join(self.names),
                    )
        for spec in self.specs:
            cycle = self._cycle_from(spec.name, ())
            if cycle:
                raise ConfigError(
                    stack_file(spec.name), ORG_STACK_KEY,
                    "the stacks need each other in a cycle: " + " → ".join(cycle),
                )
        for spec in self.specs:
            for need in spec.needs:
                before = self._by_name[need]
                if before.order >= spec.order:
                    raise ConfigError(
                        stack_file(spec.name), DEPLOY_ORDER_KEY,
                        f"{spec.order} must be greater than {need}'s ({before.order}): "
                        f"{spec.name} reads {need}'s outputs, so {need} deploys first",
                    )

    def _cycle_from(self, name: str, path: tuple[str, ...]) -> tuple[str, ...]:
        if name in path:
            return (*path[path.index(name):], name)
        for need in self._by_name[name].needs:
            found = self._cycle_from(need, (*path, name))
            if found:
                return found
        return ()

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def spec(self, name: str) -> StackSpec:
        return self._by_name[name]

    def index(self, name: str) -> int:
        """Position in the deploy order (unknown stacks after every known one)."""
        return self.names.index(name) if name in self._by_name else len(self.names)

    def environments(self) -> list[str]:
        return [spec.name for spec in self.specs if spec.is_environment]

    def kept_from_destroy(self) -> list[str]:
        """Stacks that ``destroy`` leaves alone unless named: the org, cicd and security layers, every
        production stack and every stack whose file sets ``protectedStack: true``."""
        return [spec.name for spec in self.specs
                if not spec.is_environment or spec.production or spec.protected]

    def ordered(self, names: Iterable[str] | None, *, reverse: bool = False) -> list[str]:
        """The selected stacks (default: all) in deploy order, or in destroy order with ``reverse``."""
        chosen = set(self.names if names is None else names)
        unknown = chosen - set(self.names)
        if unknown:
            raise ValueError(
                f"unknown stack(s): {', '.join(sorted(unknown))}; choose from {', '.join(self.names)}"
            )
        result = [name for name in self.names if name in chosen]
        return result[::-1] if reverse else result

    def waves(
        self, names: Sequence[str], *, reverse: bool = False, parallel: bool = False
    ) -> list[list[str]]:
        """Groups of stacks that run one group after the other; stacks in a group run together.

        Sequential (the default): one stack per group, in order. Parallel: a stack joins the first group
        after every stack it needs (forward) or every stack that needs it (reverse) among ``names``.
        """
        ordered_names = self.ordered(names, reverse=reverse)
        if not parallel:
            return [[name] for name in ordered_names]
        level: dict[str, int] = {}
        for name in ordered_names:
            if reverse:
                before = [other for other in ordered_names if name in self.spec(other).needs]
            else:
                before = [other for other in self.spec(name).needs if other in ordered_names]
            level[name] = 1 + max((level[other] for other in before), default=-1)
        groups: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
        for name in ordered_names:
            groups[level[name]].append(name)
        return groups

    def describe_order(self, *, reverse: bool = False) -> str:
        """Human-readable order with its gates, e.g. for ``plan`` and ``--help``."""
        if reverse:
            kept = " and ".join(self.kept_from_destroy())
            return " → ".join(self.ordered(None, reverse=True)) + f" ({kept} only when named with --stack)"
        parts = []
        for stack in self.specs:
            if stack.needs:
                parts.append(f"{stack.name}'s accounts accept role assumption")
            parts.append(stack.name)
            if stack.is_environment:
                parts.append(f"smoke check {stack.name}")
        return " → ".join(parts)


# --- discovery from the stack files ------------------------------------------------------------------


def stack_names(root: Path) -> list[str]:
    """The stacks that have a ``Pulumi.<stack>.yaml`` at ``root`` (``Pulumi.yaml`` is the project's)."""
    return sorted(path.name[len("Pulumi."):-len(".yaml")] for path in root.glob("Pulumi.?*.yaml"))


def discover(root: Path) -> StackTable:
    """The stack table of the project at ``root``, from the stack files' own placement keys.

    Reads only those keys (no settings validation: ``plan`` validates each stack once). A missing or bad
    value, a need on an unknown stack or a cycle raises one ConfigError naming the file and key.
    """
    files = {name: _file_config(name, root) for name in stack_names(root)}
    org_layer = {name for name, values in files.items()
                 if not {ENVIRONMENT_KEY, CICD_KEY, SECURITY_KEY} & set(values)}
    return StackTable(spec_from_file(name, values, org_layer, set(files)) for name, values in files.items())


def _file_config(name: str, root: Path) -> Mapping[str, Any]:
    """The ``config:`` block of a stack file, by libyaml (the C parser: ~1 ms for the three files where the
    strict pure-Python one takes ~50, within the plan's budget). A file it cannot read goes to the strict
    parser, for its one-line error; plan's strict read of each stack reports duplicate keys."""
    import yaml

    try:
        data = yaml.load((root / stack_file(name)).read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    block = data.get("config") if isinstance(data, dict) else None
    if isinstance(block, dict):
        return block
    from components.stack_files import read_stack_file_config

    return read_stack_file_config(name, root)  # raises its one-line ConfigError


def spec_from_file(name: str, values: Mapping[str, Any], org_layer: set[str], known: set[str]) -> StackSpec:
    """One stack's place, from the ``config:`` block of its file (namespaced keys)."""
    source = stack_file(name)
    order = values.get(DEPLOY_ORDER_KEY)
    if order is None:
        raise ConfigError(source, DEPLOY_ORDER_KEY,
                          "is required: an integer ≥ 0, its place in the deploy order (lower first)")
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ConfigError(source, DEPLOY_ORDER_KEY, f"{order!r} is not an integer ≥ 0 (lower deploys first)")
    description = values.get(DESCRIPTION_KEY, "")
    if not isinstance(description, str):
        raise ConfigError(source, DESCRIPTION_KEY, "must be a string (one line the driver prints)")
    protected = values.get(PROTECTED_KEY, False)
    if not isinstance(protected, bool):
        raise ConfigError(source, PROTECTED_KEY, f"{protected!r} is not true or false")
    if name in org_layer:
        return StackSpec(name, ORG_LAYER, description or "org layer", order, protected=protected)
    org_stack = values.get(ORG_STACK_KEY)
    needs: tuple[str, ...] = ()
    if isinstance(org_stack, str) and org_stack:
        named = org_stack.split("/")[-1]
        # Naming an environment (itself included) is no need: plan's org reference check reports it.
        if named in org_layer or named not in known:
            needs = (named,)
    if CICD_KEY in values:
        return StackSpec(name, CICD_LAYER, description or "CI and deploy roles", order, needs, protected)
    if SECURITY_KEY in values:
        return StackSpec(name, SECURITY_LAYER, description or "security", order, needs, protected)
    return StackSpec(name, ENVIRONMENT_LAYER, description or f"environment {name}", order, needs, protected)
