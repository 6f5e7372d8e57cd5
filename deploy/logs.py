"""``python -m deploy logs ENV``: the service's CloudWatch log group, like ``copilot svc logs``.

The group is the stack's ``service_log_group`` output (the Fargate tasks' awslogs group, in the
workload account), read through the environment's profile or role (deploy/aws_sessions.py). Events
come from ``FilterLogEvents`` (CloudWatch Logs API Reference: startTime in milliseconds since the
epoch, ``filterPattern`` in the CloudWatch Logs filter syntax, ``nextToken`` paging). ``--follow`` polls
from the newest event seen until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from deploy import aws_sessions, stacks
from deploy.runner import EXIT_OK, DeployError
from deploy.services import Services, check_backend, make_runner

HELP = "show (or --follow) the service's CloudWatch logs of a deployed environment"
OUTPUT = "service_log_group"
POLL_SECONDS = 2.0
_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """``30m`` -> 1800.0 seconds (s, m, h, d)."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration such as 45s, 30m, 2h or 1d")
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def add_arguments(parser: argparse.ArgumentParser, environments: Sequence[str]) -> None:
    """``environments``: the environment stacks of the driver's stack table, in deploy order."""
    parser.add_argument("env", metavar="ENV", choices=list(environments),
                        help=f"the environment: {', '.join(environments)}")
    parser.add_argument("--since", type=duration, default=duration("30m"), metavar="DURATION",
                        help="how far back to start: 45s, 30m, 2h, 1d (default 30m)")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new events until Ctrl-C")
    parser.add_argument("--filter", dest="pattern", metavar="PATTERN",
                        help="a CloudWatch Logs filter pattern, e.g. ERROR or '?ERROR ?WARN'")
    parser.add_argument("--json", dest="json_lines", action="store_true",
                        help="one JSON object per event (timestamp, stream, message)")
    parser.add_argument("--allow-local-backend", action="store_true",
                        help="with CI set, read a local file state backend anyway")


@dataclass(frozen=True)
class LogEvent:
    timestamp_ms: int
    stream: str
    message: str
    event_id: str

    def as_json(self) -> dict[str, Any]:
        return {"timestamp": _iso(self.timestamp_ms), "stream": self.stream, "message": self.message}

    def as_line(self) -> str:
        task = self.stream.rsplit("/", 1)[-1][:8]  # awslogs streams end with the task id
        return f"{_iso(self.timestamp_ms)} [{task}] {self.message.rstrip()}"


def _iso(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class LogGroupReader:
    """Reads one log group with a logs client; errors as one sentence naming the group."""

    def __init__(self, client: Any, group: str, account: aws_sessions.AccountSession,
                 pattern: str | None = None) -> None:
        self.client = client
        self.group = group
        self.account = account
        self.pattern = pattern

    def check_group(self) -> bool:
        """True when the group has at least one stream; DeployError when it does not exist."""
        with aws_sessions.explained(self.account, f"read log group {self.group}"):
            groups = self.client.describe_log_groups(logGroupNamePrefix=self.group).get("logGroups", [])
            if not any(group.get("logGroupName") == self.group for group in groups):
                raise DeployError(
                    f"log group {self.group} does not exist in {self.account.config_key} "
                    f"{self.account.account_key} ({self.account.account_id}); was the stack destroyed?"
                )
            streams = self.client.describe_log_streams(logGroupName=self.group, limit=1)
        return bool(streams.get("logStreams"))

    def events(self, start_ms: int) -> list[LogEvent]:
        """Every event from ``start_ms`` on, oldest first, all pages."""
        request: dict[str, Any] = {"logGroupName": self.group, "startTime": start_ms}
        if self.pattern:
            request["filterPattern"] = self.pattern
        found: list[LogEvent] = []
        with aws_sessions.explained(self.account, f"read log group {self.group}"):
            while True:
                page = self.client.filter_log_events(**request)
                found.extend(
                    LogEvent(int(e["timestamp"]), str(e.get("logStreamName", "")), str(e.get("message", "")),
                             str(e.get("eventId", "")))
                    for e in page.get("events", [])
                )
                token = page.get("nextToken")
                if not token or token == request.get("nextToken"):
                    break
                request["nextToken"] = token
        return sorted(found, key=lambda event: event.timestamp_ms)


def show(
    reader: LogGroupReader,
    *,
    since_seconds: float,
    follow: bool,
    json_lines: bool,
    out: TextIO,
    err: TextIO,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Print the events; with ``follow``, poll until Ctrl-C (which ends it with exit code 0)."""
    empty = not reader.check_group()
    if empty:
        print(f"log group {reader.group} is empty: no task has written to it yet "
              f"(is the service running? python -m deploy status)", file=err)
    start_ms = int((clock() - since_seconds) * 1000)
    seen: set[str] = set()
    printed = 0
    try:
        while True:
            for event in reader.events(start_ms):
                key = f"{event.timestamp_ms}:{event.event_id or event.stream + event.message}"
                if key in seen:
                    continue
                seen.add(key)
                out.write((json.dumps(event.as_json()) if json_lines else event.as_line()) + "\n")
                printed += 1
                start_ms = max(start_ms, event.timestamp_ms)
            # The next poll starts at the newest millisecond seen: only its events can come back twice.
            seen = {event_id for event_id in seen if event_id.startswith(f"{start_ms}:")}
            out.flush()
            if not follow:
                break
            sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        return EXIT_OK
    if not printed and not empty:
        matching = f" matching {reader.pattern!r}" if reader.pattern else ""
        print(f"no events{matching} in {reader.group} in the last {_describe(since_seconds)}", file=err)
    return EXIT_OK


def _describe(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def run(
    args: argparse.Namespace,
    services: Services,
    *,
    session_factory: aws_sessions.SessionFactory | None = None,
    sleep: Callable[[float], None] | None = None,
) -> int:
    settings = aws_sessions.load_environment(args.env, services.root)
    check_backend(services, args)
    runner = make_runner(services, args)
    outputs = aws_sessions.deployed_outputs(runner, args.env, [OUTPUT])
    access = aws_sessions.open_environment(
        args.env, settings, runner.outputs(stacks.ORG), aws_sessions.session_factory(session_factory)
    )
    workload = access.workload
    with aws_sessions.explained(workload, "create a CloudWatch Logs client"):
        client = workload.client("logs")
    reader = LogGroupReader(client, str(outputs[OUTPUT]), workload, args.pattern)
    return show(reader, since_seconds=args.since, follow=args.follow, json_lines=args.json_lines,
                out=services.stdout, err=services.stderr, sleep=sleep or services.sleep)

