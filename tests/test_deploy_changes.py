"""What a preview's steps mean for ``up`` (deploy/changes.py): one change per resource, which changes are
stateful, what is refused, and a table whose type tokens are the ones pulumi_aws declares."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from deploy.changes import (
    STATEFUL_TYPES,
    PreviewReport,
    ResourceChange,
    ResourceStep,
    describe_counts,
    fold,
    unmatched,
)

DB = "aws:rds/cluster:Cluster"
TASKS = "aws:ecs/taskDefinition:TaskDefinition"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:pre::landing-zone::{type_}::{name}"


def step(op: str, type_: str, name: str, *keys: str) -> ResourceStep:
    return ResourceStep(urn(type_, name), type_, op, keys)


def test_a_replacement_is_one_change_whichever_order_the_engine_runs_its_steps() -> None:
    create_first = [step("create-replacement", DB, "db"), step("replace", DB, "db", "engineVersion"),
                    step("delete-replaced", DB, "db")]
    delete_first = list(reversed(create_first))  # deleteBeforeReplace
    for steps in (create_first, delete_first):
        assert fold(steps) == [ResourceChange(urn(DB, "db"), DB, "replace", ("engineVersion",))]


def test_unchanged_and_read_steps_are_no_change_and_order_is_kept() -> None:
    steps = [
        step("same", DB, "db"),
        step("read", "aws:iam/role:Role", "existing"),
        step("update", TASKS, "tasks"),
        step("create", "aws:cloudwatch/logGroup:LogGroup", "logs"),
        step("delete", "aws:kms/key:Key", "old-key"),
    ]
    assert [(c.name, c.change) for c in fold(steps)] == [("tasks", "update"), ("logs", "create"),
                                                         ("old-key", "delete")]


def test_only_stateful_replaces_and_deletes_are_blocked_and_a_name_or_urn_allows_one() -> None:
    report = PreviewReport("pre", {"replace": 2, "delete": 1, "update": 1}, fold([
        step("replace", DB, "db"),
        step("replace", TASKS, "tasks"),
        step("delete", "aws:secretsmanager/secret:Secret", "old-secret"),
        step("update", "aws:cognito/userPool:UserPool", "users"),
    ]))
    assert [c.name for c in report.stateful] == ["db", "old-secret", "users"]
    assert [c.name for c in report.blocked([])] == ["db", "old-secret"]
    assert [c.name for c in report.blocked(["db"])] == ["old-secret"]
    assert report.blocked(["db", urn("aws:secretsmanager/secret:Secret", "old-secret")]) == []
    assert report.refusal(["db", "old-secret"]) is None
    assert report.unseen() == []
    # A value names a whole resource name or URN, never a part of one.
    assert [c.name for c in report.blocked(["d", "secret"])] == ["db", "old-secret"]


def test_counts_without_their_step_events_are_reported_as_unseen() -> None:
    report = PreviewReport("pre", {"replace": 2, "delete": 1}, fold([step("replace", TASKS, "tasks")]))
    assert report.unseen() == ["replace 2 counted, 1 seen", "delete 1 counted, 0 seen"]


def test_the_counts_always_name_the_four_kinds_of_change() -> None:
    counts = describe_counts({"same": 7, "create": 2})
    assert counts == "create 2, update 0, replace 0, delete 0 (7 unchanged)"
    assert describe_counts({"import": 1}) == "create 0, update 0, replace 0, delete 0, import 1 (0 unchanged)"
    assert not PreviewReport("pre", {"same": 7}).has_changes
    assert PreviewReport("pre", {"same": 7, "update": 1}).has_changes


def test_unmatched_allowances_are_the_ones_that_named_no_replace_or_delete() -> None:
    report = PreviewReport("pre", {}, fold([step("replace", DB, "db"), step("update", TASKS, "tasks")]))
    assert unmatched(["db", "tasks", "dbb"], [report]) == ["tasks", "dbb"]


# The kinds of state the brief and issue 11 name; each must be in the table.
NAMED = {
    "aws:organizations/account:Account",
    "aws:organizations/organization:Organization",
    "aws:cognito/userPool:UserPool",
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:secretsmanager/secret:Secret",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:identitystore/user:User",
    "aws:ssoadmin/permissionSet:PermissionSet",
}


def test_the_table_covers_the_named_kinds_of_state() -> None:
    assert set(STATEFUL_TYPES) >= NAMED


@pytest.mark.parametrize("token", sorted(STATEFUL_TYPES))
def test_each_type_token_is_the_one_pulumi_aws_registers(token: str) -> None:
    """A misspelt token would never match a step: check it against the class pulumi_aws generates."""
    _, module_path, class_name = token.split(":")
    resource = getattr(importlib.import_module(f"pulumi_aws.{module_path.split('/')[0]}"), class_name)
    # The token its __init__ registers with; read as text (inspect.getsource parses the whole large module).
    source = Path(str(inspect.getsourcefile(resource))).read_text(encoding="utf-8")
    assert f"'{token}'" in source
