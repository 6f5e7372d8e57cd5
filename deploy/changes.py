"""What a preview says an update of one stack will do, and which of it touches state that cannot come back.

The runner turns the engine's step events (``ResourcePreEvent``: ``metadata.op``, ``metadata.type``,
``metadata.urn``) into :class:`ResourceStep` values; this module folds them into one change per resource,
marks the stateful ones from :data:`STATEFUL_TYPES`, and says what ``up`` must refuse: a replace or a
delete of a stateful resource that ``--allow-replace`` does not name.

Step operations, as the engine emits them (pulumi/pulumi sdk/go/common/display ``StepOp``; the Python
Automation API's ``OpType``): a replacement is up to three steps for one URN (``create-replacement``,
``replace``, ``delete-replaced``), of which only ``replace`` is counted in the change summary
(pkg/engine/update.go counts ``step.Logical()`` steps only). So a replacement is one change here too.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

CREATE = "create"
UPDATE = "update"
REPLACE = "replace"
DELETE = "delete"

# Engine step op -> the change it is part of. Ops left out (same, read, refresh, discard,
# remove-pending-replace, read-replacement) change nothing in the cloud.
_CHANGE_OF_OP = {
    "create": CREATE,
    "import": CREATE,
    "update": UPDATE,
    "replace": REPLACE,
    "create-replacement": REPLACE,
    "delete-replaced": REPLACE,
    "import-replacement": REPLACE,
    "delete": DELETE,
}
# When one URN has steps of several kinds, the most destructive one names the change.
_SEVERITY = {CREATE: 0, UPDATE: 1, DELETE: 2, REPLACE: 3}
DESTRUCTIVE = frozenset({REPLACE, DELETE})

# Resource types whose replacement or deletion loses something a new resource does not bring back.
# Type tokens as pulumi_aws declares them (e.g. pulumi_aws/rds/cluster.py: 'aws:rds/cluster:Cluster').
STATEFUL_TYPES: Mapping[str, str] = {
    "aws:organizations/organization:Organization": "the organization: its accounts, OUs and policies",
    "aws:organizations/account:Account": "member account: everything in it",
    "aws:cognito/userPool:UserPool": "user pool: its users, passwords and MFA",
    "aws:rds/cluster:Cluster": "database cluster: its data",
    "aws:rds/clusterInstance:ClusterInstance": "database instance",
    "aws:rds/instance:Instance": "database instance: its data",
    "aws:dynamodb/table:Table": "table: its items",
    "aws:secretsmanager/secret:Secret": "secret: its value and versions",
    "aws:cloudwatch/logGroup:LogGroup": "log group: its logs",
    "aws:kms/key:Key": "KMS key: data encrypted with it",
    "aws:s3/bucket:Bucket": "S3 bucket: its objects",
    "aws:s3/bucketV2:BucketV2": "S3 bucket: its objects",
    "aws:efs/fileSystem:FileSystem": "file system: its files",
    "aws:identitystore/user:User": "Identity Center user: its MFA devices and sessions",
    "aws:identitystore/group:Group": "Identity Center group: its memberships and assignments",
    "aws:ssoadmin/permissionSet:PermissionSet": "permission set: its account assignments",
}


@dataclass(frozen=True)
class ResourceStep:
    """One engine step of a preview: the resource, its type and the step's op."""

    urn: str
    type: str
    op: str
    keys: tuple[str, ...] = ()  # the properties that force a replacement, when the engine says


@dataclass(frozen=True)
class ResourceChange:
    """What an update does to one resource: create, update, replace or delete."""

    urn: str
    type: str
    change: str
    keys: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The resource's name: the last part of ``urn:pulumi:<stack>::<project>::<type>::<name>``."""
        return self.urn.split("::", 3)[-1]

    @property
    def stateful(self) -> str | None:
        """What a replace or delete of it loses, or None for a resource that is rebuilt as it was."""
        return STATEFUL_TYPES.get(self.type)

    def allowed_by(self, allowed: Collection[str]) -> bool:
        return self.urn in allowed or self.name in allowed

    def to_json(self) -> dict[str, object]:
        return {"urn": self.urn, "type": self.type, "change": self.change, "keys": list(self.keys)}


def fold(steps: Iterable[ResourceStep]) -> list[ResourceChange]:
    """One change per resource, in the order the engine first reported it; unchanged ones left out."""
    found: dict[str, ResourceChange] = {}
    for step in steps:
        change = _CHANGE_OF_OP.get(step.op)
        if change is None:
            continue
        known = found.get(step.urn)
        keys = tuple(dict.fromkeys((known.keys if known else ()) + step.keys))
        if known is not None and _SEVERITY[known.change] >= _SEVERITY[change]:
            change = known.change
        found[step.urn] = ResourceChange(step.urn, step.type, change, keys)
    return list(found.values())


@dataclass
class PreviewReport:
    """A stack's preview: the engine's counts and the changes read from its step events."""

    stack: str
    counts: dict[str, int] = field(default_factory=dict)
    changes: list[ResourceChange] = field(default_factory=list)

    @property
    def stateful(self) -> list[ResourceChange]:
        return [change for change in self.changes if change.stateful]

    @property
    def has_changes(self) -> bool:
        return any(count for op, count in self.counts.items() if op != "same") or bool(self.changes)

    def blocked(self, allowed: Collection[str]) -> list[ResourceChange]:
        """Replaces and deletes of stateful resources that ``--allow-replace`` does not name."""
        return [
            change for change in self.stateful
            if change.change in DESTRUCTIVE and not change.allowed_by(allowed)
        ]

    def unseen(self) -> list[str]:
        """Replaces or deletes the engine counted but whose step events never arrived (a lost event
        could hide a stateful one, so the driver treats this as a stop)."""
        missing = []
        for change in (REPLACE, DELETE):
            seen = sum(1 for c in self.changes if c.change == change)
            counted = int(self.counts.get(change, 0))
            if counted > seen:
                missing.append(f"{change} {counted} counted, {seen} seen")
        return missing

    def summary_lines(self, allowed: Collection[str], limit: int = 20) -> list[str]:
        """The one-screen summary: counts, then each stateful change, then what ``up`` refuses."""
        lines = [f"preview: {describe_counts(self.counts)}"]
        stateful = self.stateful
        if stateful:
            lines.append(f"stateful resources changed: {len(stateful)}")
            for change in stateful[:limit]:
                note = ""
                if change.change in DESTRUCTIVE:
                    note = " (allowed by --allow-replace)" if change.allowed_by(allowed) else " (NOT ALLOWED)"
                replacing = change.change == REPLACE and change.keys
                because = f" because of {', '.join(change.keys)}" if replacing else ""
                lines.append(
                    f"  {change.change:<7} {change.name}  {change.type}  [{change.stateful}]{because}{note}"
                )
            if len(stateful) > limit:
                lines.append(f"  ... and {len(stateful) - limit} more (see the preview above)")
        return lines

    def refusal(self, allowed: Collection[str], *, would: bool = False) -> str | None:
        """One sentence that names each blocked change and the option that allows it; None if none.
        ``would``: said of a preview alone (``up`` would stop) rather than of an ``up`` that stopped."""
        blocked = self.blocked(allowed)
        if not blocked:
            return None
        listed = "; ".join(f"{c.change} {c.name} ({c.type}, {c.stateful})" for c in blocked)
        options = " ".join(f"--allow-replace {c.name}" for c in blocked)
        stopped = "would stop" if would else "stopped before any change"
        return (
            f"up of stack {self.stack} {stopped}: the preview would {listed}; "
            f"if that is intended, run again with {options} (or the full URN)"
        )


def describe_counts(counts: Mapping[str, int]) -> str:
    """``create 3, update 1, replace 0, delete 0 (12 unchanged)``: the four always, then the rest."""
    parts = [f"{op} {int(counts.get(op, 0))}" for op in (CREATE, UPDATE, REPLACE, DELETE)]
    others = sorted(op for op in counts if op not in (CREATE, UPDATE, REPLACE, DELETE, "same") and counts[op])
    parts += [f"{op} {counts[op]}" for op in others]
    return ", ".join(parts) + f" ({int(counts.get('same', 0))} unchanged)"


def unmatched(allowed: Sequence[str], reports: Iterable[PreviewReport]) -> list[str]:
    """The ``--allow-replace`` values that named no replace or delete in any preview (a typo, likely)."""
    destructive = [c for report in reports for c in report.changes if c.change in DESTRUCTIVE]
    return [value for value in allowed if not any(c.allowed_by([value]) for c in destructive)]
