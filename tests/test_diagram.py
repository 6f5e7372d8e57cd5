"""``python -m deploy diagram``: drawn from the recordings, it follows the config and is never stale."""

from __future__ import annotations

import functools
import io
import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components import config
from deploy import cli, diagram, diagram_model
from deploy.plan_report import StackPlan, account_names
from deploy.services import Services
from tests.configs import FIXTURE_STACKS, stack_values
from tests.conftest import ROOT, recorded_org_outputs, run_env_stack, run_stack

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def _org_graph(raw: dict[str, Any]) -> tuple[diagram_model.OrgView, diagram.Graph]:
    view = diagram_model.org_view(run_stack("org", raw))
    return view, diagram.org_graph(view)


def _node(graph: diagram.Graph, first_line: str) -> diagram.Node:
    """The one node whose label starts with the line ``first_line``."""
    matches = [node for node in graph.nodes if node.label.split("\n")[0] == first_line]
    assert len(matches) == 1, f"{first_line!r}: {[n.label for n in graph.nodes]}"
    return matches[0]


def _edges(graph: diagram.Graph, style: str) -> set[tuple[str, str]]:
    return {(edge.source, edge.target) for edge in graph.edges if edge.style == style}


def test_org_view_shows_each_ou_and_the_account_the_config_adds(org_raw: dict[str, Any]) -> None:
    _, before = _org_graph(org_raw)
    assert not any(node.label.startswith("analytics\n") for node in before.nodes)
    added_account = {"key": "analytics", "name": "Analytics", "ou": "Workloads/SDLC"}
    org_raw["accounts"] = [*org_raw["accounts"], added_account]
    org_raw["accountQuota"] = 11  # the frozen config fills AWS's default 10
    view, graph = _org_graph(org_raw)

    settings = config.load("org", org_raw)
    assert isinstance(settings, config.OrgConfig)
    for path in settings.organizational_units:  # every OU the config declares, by its path
        _node(graph, f"OU {path}")
    for account in settings.accounts:  # every account, hung under the OU the config puts it in
        node = _node(graph, account.key)
        assert (_node(graph, f"OU {account.ou}").id, node.id) in _edges(graph, "tree")
    added = next(a for a in view.accounts if a.key == "analytics")
    assert view.ou_path(added.parent_id) == "Workloads/SDLC"
    assert 'Analytics<br/>' in diagram.mermaid(graph)


def test_an_scp_attachment_in_the_config_is_an_edge_to_its_ou(org_raw: dict[str, Any]) -> None:
    _, before = _org_graph(org_raw)
    guardrails, prod_ou = _node(before, "SCP landing-zone-guardrails"), _node(before, "OU Workloads/Prod")
    assert (guardrails.id, prod_ou.id) not in _edges(before, "scp")
    assert (guardrails.id, _node(before, "OU Workloads").id) in _edges(before, "scp")
    assert (_node(before, "SCP landing-zone-quarantine").id, _node(before, "OU Suspended").id) in _edges(
        before, "scp"
    )

    org_raw["serviceControlPolicies"] = [
        {"name": "landing-zone-guardrails", "file": "guardrails.json", "targets": ["Workloads/Prod"]},
        {"name": "landing-zone-quarantine", "file": "quarantine.json", "targets": ["Suspended"]},
    ]
    _, after = _org_graph(org_raw)
    scp_edges = _edges(after, "scp")
    guardrails = _node(after, "SCP landing-zone-guardrails")
    assert {target for source, target in scp_edges if source == guardrails.id} == {
        _node(after, "OU Workloads/Prod").id
    }


def _env_view(stack: str, raw: dict[str, Any] | None = None) -> diagram_model.EnvView:
    org_outputs = recorded_org_outputs()
    recording = run_env_stack(stack, raw, org_outputs=org_outputs)
    return diagram_model.env_view(StackPlan(stack, recording=recording, accounts=account_names(org_outputs)))


def _account_label(key: str) -> str:
    return f"{key} ({recorded_org_outputs()['accounts'][key]})"


def test_the_environment_view_places_each_resource_in_its_configured_account() -> None:
    raw = stack_values("pre")
    view = _env_view("pre", raw)
    identity = _account_label(raw["identityAccount"]["key"])
    workload = _account_label(raw["workloadAccount"]["key"])
    assert sorted(view.placement) == sorted({identity, workload})
    assert view.accounts_of("aws:cognito/userPool:UserPool") == [identity]
    for resource_type in ("aws:ecs/service:Service", "aws:rds/cluster:Cluster", "aws:amplify/app:App"):
        assert view.accounts_of(resource_type) == [workload]
    assert {step.label: step.account for step in view.request_path}["Cognito user pool"] == identity

    raw["workloadAccount"] = {"key": "workloads-sdlc"}  # the config moves the service: so does the picture
    moved = _env_view("pre", raw)
    assert moved.accounts_of("aws:ecs/service:Service") == [_account_label("workloads-sdlc")]
    graph = diagram.env_graph(moved)
    assert f"account {_account_label('workloads-sdlc')}" in graph.clusters.values()
    assert f"account {workload}" not in graph.clusters.values()


def test_the_request_path_runs_in_order_from_the_browser_to_aurora() -> None:
    view = _env_view("prod")
    assert [step.label for step in view.request_path] == [label for label, _ in diagram_model.REQUEST_PATH]
    assert view.missing_steps == []
    graph = diagram.env_graph(view)
    chain = [edge for edge in graph.edges if edge.style == "request"]
    labels = {node.id: node.label.split("\n")[0] for node in graph.nodes}
    assert [labels[chain[0].source]] + [labels[edge.target] for edge in chain] == [
        "Browser", "Amplify Hosting", "Cognito user pool", "HTTP API", "VPC link", "ALB", "Fargate service",
        "Aurora",
    ]
    assert all(a.target == b.source for a, b in itertools.pairwise(chain))


def test_a_step_the_stack_does_not_declare_is_named_not_drawn() -> None:
    view = _env_view("pre")
    view.request_path = [step for step in view.request_path if step.label != "VPC link"]
    view.missing_steps = ["VPC link"]
    graph = diagram.env_graph(view)
    chain = [(edge.source, edge.target) for edge in graph.edges if edge.style == "request"]
    node_of = {node.label.split("\n")[0]: node.id for node in graph.nodes}
    assert (node_of["HTTP API"], node_of["ALB"]) in chain
    assert "VPC link" not in node_of
    assert any("not declared" in node.label and "VPC link" in node.label for node in graph.nodes)
    check_mermaid(diagram.mermaid(graph))


_ID = r"[A-Za-z0-9_]+"
_NODE = re.compile(rf'^({_ID})\["([^"]*)"\]:::({_ID})$')
_EDGE = re.compile(rf"^({_ID}) (---|-\.->|==>|-\.-)(\|[^|\"]+\|)? ({_ID})$")


def check_mermaid(text: str) -> None:
    """A strict reading of the flowchart subset the renderer emits: every line parses, subgraphs are
    balanced, ids are plain, every edge joins declared nodes and every class used is defined."""
    lines = [line.strip() for line in text.strip().splitlines()]
    assert re.fullmatch(r"flowchart (TB|LR)", lines[0]), lines[0]
    nodes: set[str] = set()
    classes_used: set[str] = set()
    classes: set[str] = set()
    depth = 0
    for line in lines[1:]:
        if match := re.fullmatch(rf'subgraph ({_ID}) \["([^"]+)"\]', line):
            depth += 1
            assert match.group(1) not in nodes
        elif line == "end":
            depth -= 1
            assert depth >= 0, "end without subgraph"
        elif match := _NODE.match(line):
            assert match.group(1) not in nodes, f"duplicate node {match.group(1)}"
            assert match.group(1) != "end"
            nodes.add(match.group(1))
            classes_used.add(match.group(3))
        elif match := _EDGE.match(line):
            assert match.group(1) in nodes and match.group(4) in nodes, line
        elif match := re.fullmatch(rf"classDef ({_ID}) [\w:#,.\-]+", line):
            classes.add(match.group(1))
        else:
            raise AssertionError(f"not a flowchart line: {line!r}")
    assert depth == 0, "unbalanced subgraph"
    assert classes_used <= classes


def test_the_mermaid_text_parses() -> None:
    written = diagram.markdown(_fixture_graphs())
    blocks = re.findall(r"```mermaid\n(.*?)```", written, flags=re.S)
    assert len(blocks) == 3  # org, pre, prod
    shipped = (ROOT / "docs" / diagram.MARKDOWN).read_text(encoding="utf-8")
    shipped_blocks = re.findall(r"```mermaid\n(.*?)```", shipped, flags=re.S)
    assert shipped_blocks  # one per stack; how many is the shipped config's business
    for block in blocks + shipped_blocks:
        check_mermaid(block)
    with pytest.raises(AssertionError):
        check_mermaid("flowchart TB\n  subgraph a [\"x\"]\n  b[\"b\"]:::k\n  classDef k fill:#fff\n")
    with pytest.raises(AssertionError):
        check_mermaid('flowchart TB\n  a["a"]:::k\n  a --> ghost\n  classDef k fill:#fff\n')


def _main(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(["diagram", *argv], Services(root=ROOT, stdout=out, stderr=out))
    return code, out.getvalue()


def test_the_shipped_pictures_are_what_the_shipped_config_draws() -> None:
    code, text = _main("--check")  # the whole command, on this checkout's stack files
    assert code == 0, f"{text}\nregenerate them: python -m deploy diagram"


_GRAPHS_FROM_PLAN = diagram.graphs_from_plan  # the real one: some tests replace it with the cache below


@functools.cache
def _fixture_graphs() -> list[diagram.Graph]:
    """The views of the frozen stack files (tests/configs.py): org, pre and prod."""
    return _GRAPHS_FROM_PLAN(FIXTURE_STACKS)


def test_check_names_each_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Files as the command writes them for these graphs (the SVG body stands in: only its stamp counts), so
    # that this test owns its data; the shipped pictures are test_the_shipped_pictures_...'s business.
    graphs = _fixture_graphs()
    (tmp_path / diagram.MARKDOWN).write_text(diagram.markdown(graphs), encoding="utf-8")
    for graph in graphs:
        stamp = f"<!-- dot source sha256 {diagram.digest(diagram.dot_source(graph))} -->\n<svg/>\n"
        (tmp_path / diagram.svg_name(graph)).write_text(stamp, encoding="utf-8")
    assert diagram.stale_files(graphs, tmp_path) == []

    markdown = tmp_path / "diagram.md"
    edited = markdown.read_text(encoding="utf-8").replace("OU Sandbox", "OU Sandbx")
    markdown.write_text(edited, encoding="utf-8")
    svg = tmp_path / "diagram-pre.svg"
    svg.write_text(re.sub(r"sha256 [0-9a-f]{64}", "sha256 " + "0" * 64, svg.read_text(encoding="utf-8")))
    (tmp_path / "diagram-prod.svg").unlink()
    stale = diagram.stale_files(_fixture_graphs(), tmp_path)
    assert sorted(Path(path).name for path in stale) == ["diagram-pre.svg", "diagram-prod.svg", "diagram.md"]
    # the command on the same graphs: exit 1, one line per stale file
    monkeypatch.setattr(diagram, "graphs_from_plan", lambda root: _fixture_graphs())
    code, text = _main("--check", "--output-dir", str(tmp_path))
    assert code == 1
    named = sorted(line.split()[1] for line in text.splitlines() if line.startswith("stale: "))
    assert named == sorted(stale)


@needs_dot
def test_the_svg_is_the_same_bytes_every_time_and_carries_its_source_digest(tmp_path: Path) -> None:
    graph = diagram.org_graph(diagram_model.org_view(run_stack("org")))
    source = diagram.dot_source(graph)
    first, second = diagram.render_svg(source), diagram.render_svg(source)
    assert first == second
    assert "graphviz version" not in first
    assert f"<!-- dot source sha256 {diagram.digest(source)} -->" in first
    assert first.count("<svg") == 1 and "OU Workloads/SDLC" in first


def test_plan_does_not_import_graphviz() -> None:
    script = (
        "import sys; from deploy import cli, stacks; "
        "cli.build_parser(stacks.discover(cli.stack_config.PROJECT_ROOT)); "
        "assert 'graphviz' not in sys.modules, 'graphviz imported'"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True)


@needs_dot
def test_the_command_writes_files_its_check_accepts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagram, "graphs_from_plan", lambda root: _fixture_graphs())
    code, text = _main("--output-dir", str(tmp_path))
    assert code == 0, text
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "diagram-org.svg", "diagram-pre.svg", "diagram-prod.svg", "diagram.md"
    ]
    assert _main("--check", "--output-dir", str(tmp_path))[0] == 0


def test_drawing_without_dot_is_a_setup_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagram, "graphs_from_plan", lambda root: _fixture_graphs())
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    code, text = _main("--output-dir", str(tmp_path))
    assert code == cli.EXIT_SETUP
    assert "Graphviz 'dot' binary is missing" in text
    assert not list(tmp_path.iterdir())
