"""Smoke check of a deployed environment, the gate between ``pre`` and ``prod``.

Two requests from the outside, with the stack's own outputs:
1. the service's health endpoint through the load balancer answers 200
   (``http://<alb_dns_name>/q/health/live``, or the ``health_url`` output when the stack exports one);
2. the API without a token answers 401 (``<api_url>/api/tasks``): the JWT authorizer is in front.
A new service can take a few minutes to become healthy, so each check is retried until a timeout.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components.app_contract import TASKS_IMAGE
from deploy.runner import SmokeCheckError

HEALTH_PATH = TASKS_IMAGE.health_check_path
API_PROBE_PATH = "/api/tasks"

Emit = Callable[[str], None]
Fetch = Callable[[str, float], int]


def http_status(url: str, timeout: float) -> int:
    """Status code of a GET without credentials (4xx/5xx are answers, not errors)."""
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "landing-zone-smoke-check"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@dataclass(frozen=True)
class Probe:
    name: str
    url: str
    expected: int


def probes(stack: str, outputs: Mapping[str, Any]) -> list[Probe]:
    health = outputs.get("health_url")
    if not health:
        alb = outputs.get("alb_dns_name")
        if not alb:
            raise SmokeCheckError(f"stack {stack} exports neither health_url nor alb_dns_name")
        base = str(alb) if "://" in str(alb) else f"http://{alb}"
        health = base.rstrip("/") + HEALTH_PATH
    api = outputs.get("api_url")
    if not api:
        raise SmokeCheckError(f"stack {stack} exports no api_url")
    return [
        Probe("health endpoint through the load balancer", str(health), 200),
        Probe("API without a token", str(api).rstrip("/") + API_PROBE_PATH, 401),
    ]


class SmokeCheck:
    """The smoke gate of ``deploy.orchestrator``."""

    def __init__(
        self,
        *,
        fetch: Fetch = http_status,
        timeout: float = 300.0,
        interval: float = 10.0,
        request_timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetch = fetch
        self.timeout = timeout
        self.interval = interval
        self.request_timeout = request_timeout
        self.sleep = sleep
        self.clock = clock

    def __call__(self, stack: str, outputs: Mapping[str, Any], emit: Emit) -> None:
        for probe in probes(stack, outputs):
            self._until_expected(stack, probe, emit)

    def _until_expected(self, stack: str, probe: Probe, emit: Emit) -> None:
        started = self.clock()
        while True:
            try:
                status: int | None = self.fetch(probe.url, self.request_timeout)
                answer = f"HTTP {status}"
            except (OSError, ValueError) as error:
                status, answer = None, f"no answer ({_reason(error)})"
            if status == probe.expected:
                emit(f"smoke check: {probe.name} answers {status} ({probe.url})")
                return
            if self.clock() - started + self.interval > self.timeout:
                raise SmokeCheckError(
                    f"{probe.name} of stack {stack} gave {answer} instead of {probe.expected} at {probe.url}"
                )
            emit(f"smoke check: {probe.name} gave {answer}, expected {probe.expected}; retrying")
            self.sleep(self.interval)


def _reason(error: Exception) -> str:
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__
