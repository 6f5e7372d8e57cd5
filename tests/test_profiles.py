"""``python -m deploy profiles``: rendering, the managed block in ~/.aws/config, and clear errors."""

from __future__ import annotations

import argparse
import io
import json
import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.configloader import load_config

from deploy import profiles
from deploy import profiles_config_file as config_block
from tests.conftest import recorded_org_outputs

START_URL = "https://d-9067a1b2c3.awsapps.com/start"
UNRELATED = """\
# my own settings
[default]
region = eu-west-1
output = json

[profile work]
sso_start_url = https://other.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 999999999999
sso_role_name = Admin
"""


def outputs_doc(*assignments: tuple[str, str, str], start_url: str = START_URL) -> dict[str, Any]:
    return {
        "accounts": {key: account_id for key, account_id, _ in assignments},
        "identity_center": {
            "instance_arn": "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6",
            "identity_store_id": "d-9067a1b2c3",
            "start_url": start_url,
            "region": "us-east-1",
        },
        "sso_assignments": [
            {"account_key": key, "account_id": account_id, "permission_set": ps}
            for key, account_id, ps in assignments
        ],
    }


SEED = outputs_doc(
    ("sandbox", "123456789012", "hiperium-sso-provisioners-ps"),
    ("idp-pre", "210987654321", "hiperium-sso-provisioners-ps"),
)


def parser() -> argparse.ArgumentParser:
    """As the driver registers the command: a subparser of ``python -m deploy``."""
    root = argparse.ArgumentParser(prog="python -m deploy")
    sub = root.add_subparsers(dest="command", required=True)
    profiles.add_arguments(sub.add_parser("profiles"))
    return root


def run(
    *argv: str, reader: profiles.OutputsReader | None = None, root: Path | None = None
) -> tuple[int, str, str]:
    args = parser().parse_args(["profiles", *argv])
    out, err = io.StringIO(), io.StringIO()
    kwargs = {"reader": reader} if reader is not None else {}
    code = profiles.run(args, stdout=out, stderr=err, root=root, **kwargs)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "org-outputs.json"
    path.write_text(json.dumps(SEED), encoding="utf-8")
    return path


def aws_profiles(path: Path) -> dict[str, Any]:
    """What the AWS CLI (botocore) reads from the file."""
    return load_config(str(path))


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.*.bak"))


# --- rendering -------------------------------------------------------------------------------------


def test_the_org_stacks_real_outputs_give_the_seeds_profiles() -> None:
    outputs = profiles.parse_outputs(recorded_org_outputs(), "org outputs")
    items = profiles.profiles(outputs)
    by_name = {p.name: p for p in items}
    accounts = recorded_org_outputs()["accounts"]
    assert {"sandbox", "idp-pre"} <= set(by_name)
    assert by_name["sandbox"].account_id == accounts["sandbox"]
    assert by_name["idp-pre"].account_id == accounts["idp-pre"]
    assert by_name["sandbox"].role_name == "hiperium-sso-provisioners-ps"
    assert outputs.start_url == "https://d-9067a1b2c3.awsapps.com/start"


def test_render_an_sso_session_and_one_profile_per_assignment() -> None:
    outputs = profiles.parse_outputs(SEED, "test")
    text = profiles.render(outputs, profiles.profiles(outputs), session="landing-zone")
    assert text == (
        "[sso-session landing-zone]\n"
        f"sso_start_url = {START_URL}\n"
        "sso_region = us-east-1\n"
        "sso_registration_scopes = sso:account:access\n"
        "\n"
        "[profile sandbox]\n"
        "sso_session = landing-zone\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = hiperium-sso-provisioners-ps\n"
        "region = us-east-1\n"
        "\n"
        "[profile idp-pre]\n"
        "sso_session = landing-zone\n"
        "sso_account_id = 210987654321\n"
        "sso_role_name = hiperium-sso-provisioners-ps\n"
        "region = us-east-1\n"
    )


def test_several_permission_sets_on_one_account_name_each_profile() -> None:
    doc = outputs_doc(
        ("sandbox", "123456789012", "provisioners"),
        ("sandbox", "123456789012", "readers"),
        ("idp-pre", "210987654321", "provisioners"),
    )
    items = profiles.profiles(profiles.parse_outputs(doc, "test"))
    assert [(p.name, p.role_name) for p in items] == [
        ("sandbox-provisioners", "provisioners"),
        ("sandbox-readers", "readers"),
        ("idp-pre", "provisioners"),
    ]


def test_duplicate_assignments_in_outputs_give_one_profile() -> None:
    doc = outputs_doc(("sandbox", "123456789012", "ps"), ("sandbox", "123456789012", "ps"))
    assert [p.name for p in profiles.profiles(profiles.parse_outputs(doc, "test"))] == ["sandbox"]


def test_custom_patterns_region_and_session(outputs_file: Path) -> None:
    code, out, err = run(
        "--outputs",
        str(outputs_file),
        "--name-pattern",
        "hiperium-{account}",
        "--session-name",
        "hiperium",
        "--region",
        "eu-west-1",
    )
    assert code == 0 and err == ""
    assert "[sso-session hiperium]" in out
    assert "[profile hiperium-sandbox]" in out and "[profile hiperium-idp-pre]" in out
    assert out.count("sso_session = hiperium\n") == 2
    assert out.count("region = eu-west-1\n") == 2
    assert "sso_region = us-east-1\n" in out  # the Identity Center region stays


def test_pattern_that_collides_is_refused(outputs_file: Path) -> None:
    code, out, err = run("--outputs", str(outputs_file), "--name-pattern", "{permission_set}")
    assert code == profiles.EXIT_USAGE and out == ""
    assert err.count("\n") == 1
    assert "profile name 'hiperium-sso-provisioners-ps' would name both sandbox/" in err


def test_unknown_placeholder_is_refused(outputs_file: Path) -> None:
    code, _, err = run("--outputs", str(outputs_file), "--name-pattern", "{acount}")
    assert code == profiles.EXIT_USAGE
    assert err == (
        "error: --name-pattern '{acount}': unknown placeholder {acount} "
        "(use {account}, {account_id}, {permission_set}, {session})\n"
    )


def test_prints_by_default_and_touches_no_file(
    outputs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "aws" / "config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    code, out, err = run("--outputs", str(outputs_file))
    assert code == 0 and err == ""
    assert out.startswith(config_block.begin_marker("landing-zone") + "\n[sso-session landing-zone]\n")
    assert out.endswith(config_block.end_marker("landing-zone") + "\n")
    assert not config_file.exists()


# --- writing ~/.aws/config -------------------------------------------------------------------------


def test_write_into_a_file_with_unrelated_profiles(outputs_file: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    config_file.write_text(UNRELATED, encoding="utf-8")
    config_file.chmod(0o640)
    code, out, err = run("--outputs", str(outputs_file), "--write", "--config-file", str(config_file))
    assert code == 0 and err == ""
    text = config_file.read_text(encoding="utf-8")
    assert text.startswith(UNRELATED + "\n" + config_block.begin_marker("landing-zone") + "\n")
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o640
    # A backup of exactly what was there.
    [backup] = backups(config_file)
    assert backup.read_text(encoding="utf-8") == UNRELATED
    assert f"previous version saved as {backup}" in out
    # The AWS CLI reads all of it: the user's profiles and the generated ones.
    parsed = aws_profiles(config_file)
    assert parsed["profiles"]["default"] == {"region": "eu-west-1", "output": "json"}
    assert parsed["profiles"]["work"]["sso_account_id"] == "999999999999"
    assert parsed["profiles"]["sandbox"] == {
        "sso_session": "landing-zone",
        "sso_account_id": "123456789012",
        "sso_role_name": "hiperium-sso-provisioners-ps",
        "region": "us-east-1",
    }
    assert parsed["profiles"]["idp-pre"]["sso_account_id"] == "210987654321"
    assert parsed["sso_sessions"]["landing-zone"] == {
        "sso_start_url": START_URL,
        "sso_region": "us-east-1",
        "sso_registration_scopes": "sso:account:access",
    }


def test_second_run_changes_nothing(outputs_file: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    config_file.write_text(UNRELATED, encoding="utf-8")
    assert run("--outputs", str(outputs_file), "--write", "--config-file", str(config_file))[0] == 0
    first = config_file.read_bytes()
    first_mtime = config_file.stat().st_mtime_ns
    code, out, _ = run("--outputs", str(outputs_file), "--write", "--config-file", str(config_file))
    assert code == 0
    assert "already up to date (2 profiles); nothing changed" in out
    assert config_file.read_bytes() == first
    assert config_file.stat().st_mtime_ns == first_mtime
    assert len(backups(config_file)) == 1


def test_new_outputs_replace_the_block_in_place(tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    before = "[profile first]\nregion = eu-west-1\n\n"
    after = "\n[profile last]\nregion = eu-central-1\n"
    block = config_block.managed_block(
        "[sso-session landing-zone]\nsso_start_url = https://old/start\n", "landing-zone"
    )
    config_file.write_text(before + block + after, encoding="utf-8")
    doc = outputs_doc(("sandbox", "123456789012", "ps"), start_url="https://new.awsapps.com/start")
    outputs_path = tmp_path / "outputs.json"
    outputs_path.write_text(json.dumps(doc), encoding="utf-8")
    assert run("--outputs", str(outputs_path), "--write", "--config-file", str(config_file))[0] == 0
    text = config_file.read_text(encoding="utf-8")
    assert text.startswith(before + config_block.begin_marker("landing-zone") + "\n")
    assert text.endswith(config_block.end_marker("landing-zone") + "\n" + after)
    assert "https://old/start" not in text and "sso_start_url = https://new.awsapps.com/start" in text
    assert text.count(config_block.begin_marker("landing-zone")) == 1


def test_a_missing_config_file_is_created_private(outputs_file: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "home" / ".aws" / "config"
    code, out, _ = run("--outputs", str(outputs_file), "--write", "--config-file", str(config_file))
    assert code == 0 and "previous version" not in out
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert config_file.read_text(encoding="utf-8").startswith(config_block.begin_marker("landing-zone"))
    assert backups(config_file) == []
    assert set(aws_profiles(config_file)["profiles"]) == {"sandbox", "idp-pre"}


def test_aws_config_file_variable_is_the_default_target(
    outputs_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "from-env"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config_file))
    assert run("--outputs", str(outputs_file), "--write")[0] == 0
    assert "[profile sandbox]" in config_file.read_text(encoding="utf-8")


def test_two_sessions_keep_separate_blocks(outputs_file: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    run("--outputs", str(outputs_file), "--write", "--config-file", str(config_file))
    run(
        "--outputs",
        str(outputs_file),
        "--write",
        "--config-file",
        str(config_file),
        "--session-name",
        "other",
        "--name-pattern",
        "other-{account}",
    )
    parsed = aws_profiles(config_file)
    assert {"sandbox", "idp-pre", "other-sandbox", "other-idp-pre"} == set(parsed["profiles"])
    assert set(parsed["sso_sessions"]) == {"landing-zone", "other"}


def test_crlf_files_keep_their_line_endings(outputs_file: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    original = UNRELATED.replace("\n", "\r\n").encode()
    config_file.write_bytes(original)
    run("--outputs", str(outputs_file), "--write", "--config-file", str(config_file))
    data = config_file.read_bytes()
    assert data.startswith(original)
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_backups_never_overwrite_each_other(tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    config_file.write_text(UNRELATED, encoding="utf-8")
    moment = datetime(2024, 5, 1, 12, 0, 0)
    for start_url in ("https://a.awsapps.com/start", "https://b.awsapps.com/start"):
        body = f"[sso-session landing-zone]\nsso_start_url = {start_url}\n"
        changed, backup = config_block.write_config(config_file, body, "landing-zone", now=lambda: moment)
        assert changed and backup is not None
    assert [b.name for b in backups(config_file)] == [
        "config.20240501-120000-1.bak",
        "config.20240501-120000.bak",
    ]


def test_a_section_the_block_would_duplicate_is_refused(outputs_file: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "config"
    original = UNRELATED + "\n[profile  sandbox ]\nregion = us-west-2\n"
    config_file.write_text(original, encoding="utf-8")
    code, _, err = run("--outputs", str(outputs_file), "--write", "--config-file", str(config_file))
    assert code == profiles.EXIT_FAILED
    assert err == (
        f"error: {config_file}: line 12: [profile sandbox] is already defined outside the generated block; "
        "rename or remove it, or choose other names (--session-name, --name-pattern)\n"
    )
    assert config_file.read_text(encoding="utf-8") == original
    assert backups(config_file) == []


@pytest.mark.parametrize("damage", ["begin", "end", "twice", "swapped"])
def test_a_damaged_block_is_refused(outputs_file: Path, tmp_path: Path, damage: str) -> None:
    begin, end = config_block.begin_marker("landing-zone"), config_block.end_marker("landing-zone")
    body = {
        "begin": f"{begin}\n[sso-session landing-zone]\n",
        "end": f"[sso-session landing-zone]\n{end}\n",
        "twice": f"{begin}\n{end}\n{begin}\n{end}\n",
        "swapped": f"{end}\n{begin}\n",
    }[damage]
    config_file = tmp_path / "config"
    config_file.write_text(UNRELATED + body, encoding="utf-8")
    code, _, err = run("--outputs", str(outputs_file), "--write", "--config-file", str(config_file))
    assert code == profiles.EXIT_FAILED
    assert err.count("\n") == 1 and "is damaged" in err and str(config_file) in err
    assert config_file.read_text(encoding="utf-8") == UNRELATED + body


# --- reading the outputs -----------------------------------------------------------------------------


def test_missing_outputs_file(tmp_path: Path) -> None:
    code, out, err = run("--outputs", str(tmp_path / "nope.json"))
    assert (code, out) == (profiles.EXIT_USAGE, "")
    assert err == f"error: {tmp_path / 'nope.json'}: outputs file not found\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1 column 2: Expecting property name enclosed in double quotes)"),
        ("[]", "expected a JSON object of stack outputs"),
        (
            json.dumps({"accounts": {}}),
            "no identity_center output; is this the org stack's outputs (after `pulumi up`)?",
        ),
        (
            json.dumps({**SEED, "identity_center": {"region": "us-east-1"}}),
            "identity_center.start_url must be an https:// URL",
        ),
        (
            json.dumps({**SEED, "identity_center": {"start_url": START_URL}}),
            "identity_center.region must be an AWS region name",
        ),
        (
            json.dumps({k: v for k, v in SEED.items() if k != "sso_assignments"}),
            "sso_assignments must be a list of account assignments",
        ),
        (json.dumps({**SEED, "sso_assignments": ["sandbox"]}), "sso_assignments[0] must be an object"),
        (
            json.dumps({**SEED, "sso_assignments": [{"account_key": "sandbox", "account_id": "1"}]}),
            "sso_assignments[0].permission_set must be a non-empty string",
        ),
        (
            json.dumps(
                {**SEED, "sso_assignments": [{"account_key": "a", "account_id": "1", "permission_set": "p"}]}
            ),
            "sso_assignments[0].account_id must be a 12-digit account id",
        ),
    ],
)
def test_malformed_outputs_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(content, encoding="utf-8")
    code, out, err = run("--outputs", str(path))
    assert (code, out) == (profiles.EXIT_FAILED, "")
    assert err == f"error: {path}: {expected}\n"


def test_outputs_nested_under_the_stack_name_and_automation_values(tmp_path: Path) -> None:
    path = tmp_path / "all.json"
    wrapped = {key: {"value": value, "secret": False} for key, value in SEED.items()}
    path.write_text(json.dumps({"org": wrapped, "pre": {"api_url": "https://api"}}), encoding="utf-8")
    code, out, _ = run("--outputs", str(path))
    assert code == 0 and "[profile sandbox]" in out and "[profile idp-pre]" in out


def test_without_the_pulumi_cli_an_outputs_file_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiles.shutil, "which", lambda name: None)

    def reader(stack: str) -> dict[str, Any]:
        raise AssertionError("the backend must not be read without the CLI")

    code, out, err = run(reader=reader)
    assert (code, out) == (profiles.EXIT_SETUP, "")
    assert err == (
        "error: the Pulumi CLI is not installed, so the org stack's outputs cannot be read from the backend; "
        "pass --outputs FILE (JSON from `pulumi stack output --json --stack org`)\n"
    )


def test_with_the_pulumi_cli_outputs_come_from_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiles.shutil, "which", lambda name: "/usr/local/bin/pulumi")
    asked: list[str] = []

    def reader(stack: str) -> dict[str, Any]:
        asked.append(stack)
        return SEED

    code, out, _ = run("--org-stack", "org", reader=reader)
    assert code == 0 and asked == ["org"]
    assert "sso_account_id = 123456789012" in out


def test_backend_errors_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiles.shutil, "which", lambda name: "/usr/local/bin/pulumi")

    def reader(stack: str) -> dict[str, Any]:
        raise profiles.ProfilesError(
            "stack org does not exist in the backend file:///x", profiles.EXIT_FAILED
        )

    code, _, err = run(reader=reader)
    assert code == profiles.EXIT_FAILED
    assert err == "error: stack org does not exist in the backend file:///x\n"


def test_bad_options_are_usage_errors(outputs_file: Path) -> None:
    assert run("--outputs", str(outputs_file), "--session-name", "two words")[0] == profiles.EXIT_USAGE
    assert run("--outputs", str(outputs_file), "--region", "us east")[0] == profiles.EXIT_USAGE


def test_config_file_default_follows_the_aws_cli() -> None:
    assert config_block.default_config_file({"AWS_CONFIG_FILE": "/x/cfg"}) == Path("/x/cfg")
    assert config_block.default_config_file({}) == Path.home() / ".aws" / "config"
    assert os.path.isabs(config_block.default_config_file({}))
