"""The smoke check between environments, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from deploy.runner import SmokeCheckError
from deploy.smoke import SmokeCheck, http_status, is_awake


class Service(ThreadingHTTPServer):
    """A stand-in for the ALB + API: health endpoint and a JWT-protected API."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.unhealthy_answers = 0  # how many health probes answer 503 before the service is up
        self.api_open = False  # True: the API answers without a token (authorizer missing)
        self.requests: list[tuple[str, str | None]] = []

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Service

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("Authorization")))
        if self.path == "/q/health/live":
            if self.server.unhealthy_answers > 0:
                self.server.unhealthy_answers -= 1
                self._answer(503)
            else:
                self._answer(200, b'{"status": "UP"}')
        elif self.path == "/api/tasks":
            authorized = self.headers.get("Authorization") or self.server.api_open
            self._answer(200 if authorized else 401, b"[]" if authorized else b'{"message":"Unauthorized"}')
        else:
            self._answer(404)

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def service() -> Iterator[Service]:
    server = Service()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def outputs(service: Service) -> dict[str, str]:
    return {"alb_dns_name": service.base, "api_url": f"http://{service.base}/"}


def check(**options: Any) -> tuple[SmokeCheck, list[float]]:
    sleeps: list[float] = []
    clock = iter(range(0, 10_000, 10))
    return SmokeCheck(
        sleep=sleeps.append, clock=lambda: float(next(clock)), request_timeout=2, **options
    ), sleeps


def test_a_healthy_environment_with_a_closed_api_passes(service: Service) -> None:
    lines: list[str] = []
    smoke, sleeps = check()
    smoke("pre", outputs(service), lines.append)
    assert service.requests == [("/q/health/live", None), ("/api/tasks", None)]  # never a token
    assert lines == [
        f"smoke check: health endpoint through the load balancer answers 200 (http://{service.base}/q/health/live)",
        f"smoke check: API without a token answers 401 (http://{service.base}/api/tasks)",
    ]
    assert sleeps == []


def test_an_api_that_answers_without_a_token_fails_the_check(service: Service) -> None:
    service.api_open = True
    smoke, _ = check(timeout=30, interval=10)
    with pytest.raises(SmokeCheckError) as caught:
        smoke("pre", outputs(service), lambda _: None)
    assert str(caught.value) == (
        f"API without a token of stack pre gave HTTP 200 instead of 401 at http://{service.base}/api/tasks"
    )


def test_a_service_that_becomes_healthy_is_waited_for(service: Service) -> None:
    service.unhealthy_answers = 2
    lines: list[str] = []
    smoke, sleeps = check(timeout=300, interval=15)
    smoke("prod", outputs(service), lines.append)
    assert sleeps == [15, 15]
    assert (
        lines[0]
        == "smoke check: health endpoint through the load balancer gave HTTP 503, expected 200; retrying"
    )


def test_nothing_listening_fails_with_the_reason() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smoke, _ = check(timeout=5, interval=10)
    with pytest.raises(
        SmokeCheckError,
        match=r"^health endpoint through the load balancer of stack pre gave no "
        r"answer \(.*refused.*\) instead of 200",
    ):
        smoke(
            "pre",
            {"alb_dns_name": f"127.0.0.1:{port}", "api_url": f"http://127.0.0.1:{port}"},
            lambda _: None,
        )


def test_a_health_url_output_is_used_when_the_stack_exports_one(service: Service) -> None:
    smoke, _ = check()
    smoke(
        "pre",
        {"health_url": f"http://{service.base}/q/health/live", "api_url": f"http://{service.base}"},
        lambda _: None,
    )
    assert [path for path, _ in service.requests] == ["/q/health/live", "/api/tasks"]


def test_missing_outputs_are_named() -> None:
    smoke, _ = check()
    with pytest.raises(SmokeCheckError, match=r"^stack pre exports neither health_url nor alb_dns_name$"):
        smoke("pre", {"api_url": "https://x"}, lambda _: None)
    with pytest.raises(SmokeCheckError, match=r"^stack pre exports no api_url$"):
        smoke("pre", {"alb_dns_name": "alb.example"}, lambda _: None)


def test_http_status_reports_error_codes_as_answers(service: Service) -> None:
    assert http_status(f"http://{service.base}/missing", 2) == 404
    assert http_status(f"http://{service.base}/api/tasks", 2) == 401


# A sleeping environment (deploy/smoke.py; the schedule is components/tasks_schedule.py's output)
SCHEDULE = {"timezone": "America/Guayaquil", "awake": "08:00-20:00", "days": "MON-FRI",
            "resource_id": "service/pre-tasks-cluster/pre-tasks-service", "min_count": 1, "max_count": 2}
# 2026-12-01 is a Tuesday; Guayaquil is UTC-5: 02:30 UTC is 21:30 Monday there, 15:00 UTC is 10:00.
AT_NIGHT = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
IN_THE_MORNING = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
SATURDAY_NOON = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)


def test_a_sleeping_environment_is_reported_sleeping_and_only_the_api_is_probed(service: Service) -> None:
    service.unhealthy_answers = 1000  # no task: the ALB would answer 503 all night
    asked: list[str] = []

    def desired(stack: str, values: Any) -> int:
        asked.append(stack)
        return 0

    smoke, _sleeps = check(now=lambda: AT_NIGHT, desired_tasks=desired)
    lines: list[str] = []
    smoke("pre", {**outputs(service), "service_schedule": SCHEDULE}, lines.append)
    assert asked == ["pre"]
    assert lines[0] == ("smoke check: pre is sleeping (0 desired tasks outside its awake hours 08:00-20:00 "
                        "MON-FRI America/Guayaquil): health probe skipped; "
                        "`python -m deploy wake pre` starts it")
    assert [path for path, _auth in service.requests] == ["/api/tasks"]


@pytest.mark.parametrize(("now", "desired"), [(IN_THE_MORNING, 0), (AT_NIGHT, 1), (AT_NIGHT, None)])
def test_awake_hours_running_tasks_or_an_unknown_count_are_probed_as_usual(
    service: Service, now: datetime, desired: int | None
) -> None:
    service.unhealthy_answers = 1000
    smoke, _sleeps = check(now=lambda: now, desired_tasks=lambda stack, values: desired, timeout=30)
    with pytest.raises(SmokeCheckError, match="health endpoint"):
        smoke("pre", {**outputs(service), "service_schedule": SCHEDULE}, lambda line: None)


def test_awake_hours_follow_the_schedule_time_zone_and_days() -> None:
    assert is_awake(SCHEDULE, IN_THE_MORNING)
    assert not is_awake(SCHEDULE, AT_NIGHT) and not is_awake(SCHEDULE, SATURDAY_NOON)
    assert is_awake({**SCHEDULE, "timezone": "UTC", "awake": "02:00-03:00"}, AT_NIGHT)
