"""The driver finds its stacks in the stack files (deploy/stacks.py): adding an environment is adding a
stack file, its place in the order is config in that file, and a bad placement is one line naming the
file and key, before any stack runs."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import config
from deploy import stacks
from deploy.cli import Services, build_parser, main
from deploy.orchestrator import SKIPPED, SUCCEEDED, Orchestrator
from deploy.stacks import StackTable, discover
from tests.configs import FIXTURE_STACKS
from tests.stack_file_support import never_built
from tests.stack_tables import environment, org
from tests.test_deploy_orchestrator import FakeRunner

ROOT = FIXTURE_STACKS  # the tests' own stack files (tests/configs.py), not the shipped ones


def project_copy(tmp_path: Path) -> Path:
    """The frozen stack files (and nothing else the driver reads from the root) in ``tmp_path``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for path in ROOT.glob("Pulumi.*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(root: Path, stack: str, **values: Any) -> None:
    """Set (or, with None, remove) ``landing-zone:`` keys of one stack file."""
    path = root / config.stack_file(stack)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in values.items():
        if value is None:
            data["config"].pop(f"{config.PROJECT}:{key}", None)
        else:
            data["config"][f"{config.PROJECT}:{key}"] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def add_dev(root: Path, order: Any = 15) -> None:
    """Pulumi.dev.yaml: a copy of pre's with environment dev, its own CIDR and deployOrder 15."""
    shutil.copy(root / "Pulumi.pre.yaml", root / "Pulumi.dev.yaml")
    network = yaml.safe_load((root / "Pulumi.pre.yaml").read_text())["config"]["landing-zone:network"]
    cognito = yaml.safe_load((root / "Pulumi.pre.yaml").read_text())["config"]["landing-zone:cognito"]
    edit(root, "dev", environment="dev", deployOrder=order, description="development environment",
         network={**network, "cidrBlock": "10.30.0.0/16"},
         cognito={**cognito, "userPoolName": "tasks-dev-users"})


# --- the acceptance case: a fourth stack, no code change ------------------------------------------


def test_the_stack_files_give_the_order_they_configure() -> None:
    table = discover(ROOT)
    assert table.names == ("org", "cicd", "pre", "prod")
    assert [table.spec(name).needs for name in table.names] == [(), ("org",), ("org",), ("org",)]
    assert table.spec("cicd").layer == "cicd" and table.spec("cicd").protected
    assert table.environments() == ["pre", "prod"]
    assert table.kept_from_destroy() == ["org", "cicd", "prod"]


def test_an_environment_added_as_a_stack_file_is_planned_in_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deploy import plan

    monkeypatch.setattr(plan, "load_policies", lambda root, **_: (None, "skipped in this test"))
    root = project_copy(tmp_path / "project")
    add_dev(root)
    report, out = tmp_path / "plan.json", io.StringIO()
    code = main(["plan", "--no-tree", "--json", str(report)], Services(root=root, stdout=out))
    assert code == 0, out.getvalue()
    data = json.loads(report.read_text())
    assert data["order"] == ["org", "cicd", "pre", "dev", "prod"]
    assert [(s["stack"], s["status"]) for s in data["stacks"]] == [
        ("org", "ok"), ("cicd", "ok"), ("pre", "ok"), ("dev", "ok"), ("prod", "ok")
    ]
    assert "cicd → pre's accounts accept role assumption → pre → smoke check pre → dev's accounts" in (
        data["deploy_order"]
    )
    assert "== stack dev: development environment" in out.getvalue()


def test_destroy_by_default_keeps_org_and_prod_of_a_discovered_table(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    add_dev(root)
    events: list[tuple[str, str]] = []
    summary = Orchestrator(FakeRunner(events), stacks=discover(root), emit=lambda _: None).run("destroy")
    assert events == [("destroy", "dev"), ("destroy", "pre")]
    assert {o.stack: o.result for o in summary.outcomes} == {
        "prod": SKIPPED, "dev": SUCCEEDED, "pre": SUCCEEDED, "cicd": SKIPPED, "org": SKIPPED
    }


def test_the_stack_option_and_help_come_from_the_discovered_table(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    add_dev(root)
    parser = build_parser(discover(root))
    assert parser.parse_args(["up", "--stack", "dev"]).stacks == ["dev"]
    assert "org → pre → dev → prod" not in parser.format_help()  # the gates are shown between them
    assert "dev's accounts accept role assumption → dev → smoke check dev" in parser.format_help()
    with pytest.raises(SystemExit):
        build_parser(discover(ROOT)).parse_args(["up", "--stack", "dev"])


def test_equal_orders_run_together_when_neither_needs_the_other(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    add_dev(root, order=10)
    table = discover(root)
    assert table.names == ("org", "cicd", "dev", "pre", "prod")  # equal orders: by name
    assert table.waves(table.names, parallel=True) == [["org"], ["cicd", "dev", "pre", "prod"]]


# --- bad placement: one line naming the file and key, before anything runs --------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"deployOrder": None},
         "Pulumi.dev.yaml: landing-zone:deployOrder: is required: an integer ≥ 0, its place in the deploy "
         "order (lower first)"),
        ({"deployOrder": "15"}, "Pulumi.dev.yaml: landing-zone:deployOrder: '15' is not an integer ≥ 0"),
        ({"deployOrder": -1}, "Pulumi.dev.yaml: landing-zone:deployOrder: -1 is not an integer ≥ 0"),
        ({"deployOrder": True}, "Pulumi.dev.yaml: landing-zone:deployOrder: True is not an integer ≥ 0"),
        ({"deployOrder": 0},
         "Pulumi.dev.yaml: landing-zone:deployOrder: 0 must be greater than org's (0): dev reads org's "
         "outputs, so org deploys first"),
        ({"description": ["two", "lines"]}, "Pulumi.dev.yaml: landing-zone:description: must be a string"),
        ({"orgStack": "organization/landing-zone/landing"},
         "Pulumi.dev.yaml: landing-zone:orgStack: names stack 'landing', which has no stack file "
         "(Pulumi.landing.yaml); stacks: org, cicd, pre, dev, prod"),
    ],
)
def test_a_bad_placement_is_one_line_and_nothing_runs(
    tmp_path: Path, values: dict[str, Any], message: str
) -> None:
    root = project_copy(tmp_path)
    add_dev(root)
    edit(root, "dev", **values)
    with pytest.raises(config.ConfigError) as raised:
        discover(root)
    assert str(raised.value).startswith(message)
    built: list[bool] = []
    err = io.StringIO()
    services = Services(root=root, runner=never_built(built), stderr=err)
    assert main(["up", "--yes"], services) == 1
    assert err.getvalue().startswith(f"error: {message}") and err.getvalue().count("\n") == 1
    assert built == []


def test_a_cycle_is_refused() -> None:
    cycle = r"Pulumi\.a\.yaml: landing-zone:orgStack: .*cycle: a → b → a"
    with pytest.raises(config.ConfigError, match=cycle):
        StackTable.of(org(), environment("a", 10, needs=("b",)), environment("b", 20, needs=("a",)))


def test_an_orgstack_naming_an_environment_is_left_to_plans_reference_check(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    edit(root, "pre", orgStack="organization/landing-zone/pre")
    assert discover(root).spec("pre").needs == ()  # plan reports it on the stack (tests/test_deploy_plan.py)


def test_stack_names_are_the_stack_files_not_the_project_file(tmp_path: Path) -> None:
    project_copy(tmp_path)
    shutil.copy(config.PROJECT_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    assert stacks.stack_names(tmp_path) == ["cicd", "org", "pre", "prod"]


def test_an_unreadable_stack_file_stops_discovery_with_the_strict_parsers_line(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    (root / "Pulumi.dev.yaml").write_text("config:\n  landing-zone:deployOrder: [15\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match=r"^Pulumi\.dev\.yaml: config: invalid YAML"):
        discover(root)


def test_a_stack_marked_protected_is_kept_from_destroy_unless_named(tmp_path: Path) -> None:
    root = project_copy(tmp_path)
    add_dev(root)
    assert "dev" not in discover(root).kept_from_destroy()
    edit(root, "dev", protectedStack=True)
    assert discover(root).kept_from_destroy() == ["org", "cicd", "dev", "prod"]
    events: list[tuple[str, str]] = []
    Orchestrator(FakeRunner(events), stacks=discover(root), emit=lambda _: None).run("destroy")
    assert events == [("destroy", "pre")]
    edit(root, "dev", protectedStack="yes")
    bad = r"^Pulumi.dev.yaml: landing-zone:protectedStack: 'yes' is not"
    with pytest.raises(config.ConfigError, match=bad):
        discover(root)


def test_the_cicd_stack_needs_org_and_is_no_environment() -> None:
    table = discover(ROOT)
    cicd = table.spec("cicd")
    assert (cicd.layer, cicd.needs, cicd.is_environment) == ("cicd", ("org",), False)
    assert table.index("org") < table.index("cicd") < table.index("pre")
