"""``python -m deploy logs ENV`` against moto's CloudWatch Logs, in the environment's workload account."""

from __future__ import annotations

import json
import time
from typing import Any

import botocore.exceptions
import pytest

from deploy import aws_sessions, logs
from deploy.cli import build_parser, main
from deploy.runner import EXIT_FAILED, EXIT_OK, EXIT_SETUP, SetupError
from tests.operate_support import REGION, account_id, aws, services, session_in
from tests.stack_tables import THREE

__all__ = ["aws"]  # the fixture, used by name

GROUP = "/ecs/pre-tasks"
STREAM = "tasks/tasks/0123456789abcdef"
OUTPUTS = {"service_log_group": GROUP}


def _now_ms(minutes_ago: float = 0) -> int:
    return int((time.time() - minutes_ago * 60) * 1000)


def _seed(events: list[tuple[float, str]], session: Any = None, group: str = GROUP) -> Any:
    client = (session or session_in("sandbox")).client("logs")
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName=STREAM)
    if events:
        client.put_log_events(
            logGroupName=group, logStreamName=STREAM,
            logEvents=[{"timestamp": _now_ms(ago), "message": text} for ago, text in events],
        )
    return client


def _run(
    argv: list[str], env_outputs: dict[str, Any] | None = OUTPUTS, **kwargs: Any
) -> tuple[int, str, str]:
    svc, _ = services(env_outputs, **kwargs)
    code = main(["logs", *argv, "--allow-local-backend"], svc)
    return code, svc.stdout.getvalue(), svc.stderr.getvalue()  # type: ignore[attr-defined]


def test_logs_show_the_window_of_the_service_group_in_the_workload_account(aws: None) -> None:
    _seed([(120, "started two hours ago"), (20, "GET /api/tasks 200"), (5, "ERROR database timeout")])
    # The same group name in the caller's (management) account must not be read.
    import boto3

    decoy = boto3.client("logs", region_name=REGION)
    decoy.create_log_group(logGroupName=GROUP)
    decoy.create_log_stream(logGroupName=GROUP, logStreamName="x")
    decoy.put_log_events(
        logGroupName=GROUP, logStreamName="x", logEvents=[{"timestamp": _now_ms(1), "message": "decoy"}]
    )

    code, out, err = _run(["pre", "--since", "30m"])

    assert code == EXIT_OK, err
    lines = out.splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == ["GET /api/tasks 200", "ERROR database timeout"]
    assert all(line.endswith("Z" + line.split("Z", 1)[1]) and "[01234567]" in line for line in lines)


def test_logs_json_and_filter(aws: None) -> None:
    _seed([(10, "INFO ready"), (5, "ERROR database timeout")])
    code, out, _ = _run(["pre", "--json", "--filter", "ERROR"])
    assert code == EXIT_OK
    events = [json.loads(line) for line in out.splitlines()]
    assert [event["message"] for event in events] == ["ERROR database timeout"]
    assert set(events[0]) == {"timestamp", "stream", "message"} and events[0]["stream"] == STREAM


def test_follow_prints_new_events_once_and_ends_cleanly_on_ctrl_c(aws: None) -> None:
    client = _seed([(5, "first")])
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:
            client.put_log_events(logGroupName=GROUP, logStreamName=STREAM,
                                  logEvents=[{"timestamp": _now_ms(), "message": "second"}])
            return
        raise KeyboardInterrupt

    code, out, _ = _run(["pre", "--follow"], sleep=sleep)
    assert code == EXIT_OK
    assert [line.split("] ", 1)[1] for line in out.splitlines()] == ["first", "second"]
    assert polls == [logs.POLL_SECONDS, logs.POLL_SECONDS]


def test_empty_and_missing_groups_and_quiet_windows_are_explained(aws: None) -> None:
    session_in("sandbox").client("logs").create_log_group(logGroupName=GROUP)  # no stream yet
    code, out, err = _run(["pre"])
    assert (code, out) == (EXIT_OK, "")
    assert err.strip() == (f"log group {GROUP} is empty: no task has written to it yet "
                           "(is the service running? python -m deploy status)")

    code, _, err = _run(["pre"], env_outputs={"service_log_group": "/ecs/gone"})
    assert code == EXIT_FAILED
    assert err.strip() == (f"error: log group /ecs/gone does not exist in workloadAccount sandbox "
                           f"({account_id('sandbox')}); was the stack destroyed?")


def test_no_events_in_the_window_says_so(aws: None) -> None:
    _seed([(90, "old")])
    code, out, err = _run(["pre", "--since", "1h"])
    assert (code, out) == (EXIT_OK, "")
    assert err.strip() == f"no events in {GROUP} in the last 1h"


def test_an_environment_not_deployed_or_deployed_without_the_output(aws: None) -> None:
    code, _, err = _run(["pre"], env_outputs=None)
    assert code == EXIT_FAILED and "stack pre does not exist in the backend" in err
    code, _, err = _run(["pre"], env_outputs={"api_url": "https://api.example"})
    assert code == EXIT_FAILED
    assert err.strip() == (
        "error: stack pre does not export service_log_group: it was deployed by an older version of this "
        "project; run python -m deploy up --stack pre to add these outputs"
    )


def test_an_expired_sso_token_names_the_login_to_run(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "management-admin")

    class ExpiredSession:
        def __init__(self, **kwargs: Any) -> None:
            pass

        def client(self, service: str) -> Any:
            raise botocore.exceptions.UnauthorizedSSOTokenError()

    svc, _ = services(OUTPUTS)
    args = build_parser(THREE).parse_args(["logs", "pre", "--allow-local-backend"])
    with pytest.raises(SetupError) as raised:
        logs.run(args, svc, session_factory=ExpiredSession)
    assert raised.value.exit_code == EXIT_SETUP
    assert str(raised.value) == (
        "cannot open a session for workloadAccount sandbox: the SSO session of profile management-admin has "
        "expired or was never started; run `aws sso login --profile management-admin`"
    )


def test_credential_errors_are_one_sentence_naming_the_fix() -> None:
    account = aws_sessions.AccountSession("identityAccount", "idp-pre", "342815412868", "idp-pre", None, None)
    sso = aws_sessions.explain(botocore.exceptions.SSOTokenLoadError(error_msg="x"), account, "read")
    assert isinstance(sso, SetupError) and str(sso).endswith("run `aws sso login --profile idp-pre`")
    missing = aws_sessions.explain(botocore.exceptions.ProfileNotFound(profile="idp-pre"), account, "read")
    assert isinstance(missing, SetupError)
    assert "identityAccount.profile" in str(missing) and "python -m deploy profiles --write" in str(missing)
    none = aws_sessions.explain(botocore.exceptions.NoCredentialsError(), account, "read")
    assert isinstance(none, SetupError) and "no AWS credentials" in str(none)
    expired = botocore.exceptions.ClientError({"Error": {"Code": "ExpiredToken", "Message": "x"}}, "Get")
    assert str(aws_sessions.explain(expired, account, "read")).endswith("aws sso login --profile idp-pre`")


@pytest.mark.parametrize("bad", ["30", "0m", "5w", "m"])
def test_since_takes_a_duration(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        build_parser(THREE).parse_args(["logs", "pre", "--since", bad])
    assert raised.value.code == 2
    assert f"'{bad}' is not a duration such as 45s, 30m, 2h or 1d" in capsys.readouterr().err
    assert logs.duration("2h") == 7200.0
