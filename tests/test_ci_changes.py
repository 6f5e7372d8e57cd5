"""Which stacks a pull request previews (deploy/ci_changes.py) and the summary it reports
(deploy/ci_summary.py), as the workflow's steps call them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy import ci_changes, ci_summary
from tests.stack_tables import THREE


@pytest.mark.parametrize(
    ("paths", "touched", "preview"),
    [
        (["Pulumi.pre.yaml"], ("pre",), ("pre",)),
        (["Pulumi.prod.yaml"], ("prod",), ()),
        (["Pulumi.org.yaml"], ("org",), ()),
        (["Pulumi.pre.yaml", "Pulumi.prod.yaml"], ("pre", "prod"), ("pre",)),
        (["components/network.py"], THREE.names, ("pre",)),
        (["iam_documents/scp/deny-root.json"], THREE.names, ("pre",)),
        (["policies/guardrails.py"], THREE.names, ("pre",)),
        (["Pulumi.yaml"], THREE.names, ("pre",)),
        (["requirements.txt"], THREE.names, ("pre",)),
        (["__main__.py"], THREE.names, ("pre",)),
        (["some/new_module.py"], THREE.names, ("pre",)),  # unknown: counted as code
        (["docs/driver.md", "README.md", "tests/test_x.py", ".github/workflows/deploy.yml"], (), ()),
        (["requirements-dev.txt", ".ci/run", "scripts/plan_snapshot.py", ""], (), ()),
        (["Pulumi.nosuchstack.yaml"], THREE.names, ("pre",)),  # not a known stack: project-wide
    ],
)
def test_selection(paths: list[str], touched: tuple[str, ...], preview: tuple[str, ...]) -> None:
    selection = ci_changes.select(paths, THREE)
    assert selection.touched == tuple(touched)
    assert selection.preview == preview
    assert set(selection.not_previewed) == set(touched) - set(preview)


def test_prod_and_org_say_why_they_are_not_previewed() -> None:
    selection = ci_changes.select(["components/program.py"], THREE)
    assert "protected environment 'production'" in selection.not_previewed["prod"]
    assert "management-account credentials" in selection.not_previewed["org"]


def test_main_writes_the_job_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert ci_changes.main(["Pulumi.pre.yaml", "Pulumi.prod.yaml"]) == 0
    lines = output.read_text(encoding="utf-8").splitlines()
    assert "stacks=pre" in lines
    assert "touched=pre prod" in lines
    assert any(line.startswith("not_previewed=prod: ") for line in lines)
    assert "stacks=pre" in capsys.readouterr().out


def test_nothing_touched_gives_an_empty_stack_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    ci_changes.main(["docs/driver.md"])
    assert "stacks=\n" in output.read_text(encoding="utf-8")


REPORT = {
    "command": "preview",
    "ok": True,
    "exit_code": 0,
    "stacks": [
        {"stack": "pre", "result": "succeeded", "changes": {}, "message": "",
         "previewed": {"create": 3, "update": 1, "same": 40}},
    ],
}


def test_summary_goes_to_the_step_summary_and_a_multiline_job_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "preview.json"
    report.write_text(json.dumps(REPORT), encoding="utf-8")
    step_summary, output = tmp_path / "summary.md", tmp_path / "output"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert ci_summary.main([str(report), "--not-previewed", "prod: protected; org: person"]) == 0
    text = step_summary.read_text(encoding="utf-8")
    assert "| pre | succeeded | create 3, same 40, update 1 |" in text
    assert "- not previewed here: prod: protected" in text
    written = output.read_text(encoding="utf-8")
    assert written.startswith("summary<<EOF_SUMMARY\n### Pulumi preview")
    assert written.endswith("\nEOF_SUMMARY\n")


def test_a_missing_report_is_said_not_hidden(tmp_path: Path) -> None:
    text = ci_summary.render(None)
    assert "No preview report was written" in text
    failed = {**REPORT, "ok": False, "exit_code": 1,
              "stacks": [{"stack": "pre", "result": "failed", "message": "a|b", "previewed": {}}]}
    assert "| pre | failed | no changes | a\\|b |" in ci_summary.render(failed)
    assert "exit code 1" in ci_summary.render(failed)
