"""The Tasks image's start-up contract, as data: ``components/tasks_image_contract.json``.

What the published image ``hiperium/hiperium-city-tasks-api:1.5.0-arm64`` needs from its task
definition to start and to pass its health check: platform, container port, health path, the plain
environment variables with the deployment value each must equal, the one variable that carries the
database connection as a JSON secret with its keys, the paths it writes to (which a read-only root file
system must mount as volumes) and whether its database client negotiates TLS. The JSON file cites the
image's source for each fact. Each fact is defined there once: the components build the container from it
(components/tasks_service.py, tasks_load_balancer.py, tasks_api.py) and ``plan`` checks the recorded
task definition against it (deploy/app_contract_check.py).

A leaf module: it imports nothing of the project, so the settings, the components and the driver may
all read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTRACT_FILE = Path(__file__).with_name("tasks_image_contract.json")

# Names of the deployment values that plain variables must equal ("equals" in the JSON file).
TIME_ZONE_ID = "timeZoneId"  # the service's configured time zone (service.timeZoneId)
ISSUER_URL = "issuerUrl"  # the environment's Cognito user pool issuer
DEPLOYMENT_VALUES = (TIME_ZONE_ID, ISSUER_URL)


class ContractError(ValueError):
    """The contract file itself is malformed (a project bug, not a user's config error)."""


@dataclass(frozen=True)
class SecretVariable:
    """An environment variable ECS fills from a Secrets Manager secret holding a JSON object."""

    variable: str
    required_keys: tuple[str, ...]
    allowed_keys: tuple[str, ...]

    def problems(self, document: Any) -> list[str]:
        """Why the image could not use ``document`` (the secret's parsed JSON); empty when it can."""
        if not isinstance(document, Mapping):
            return [f"is not a JSON object (the image parses {self.variable} as one)"]
        found: list[str] = []
        missing = [key for key in self.required_keys if key not in document]
        if missing:
            found.append(f"lacks key(s) {', '.join(missing)}")
        unknown = sorted(set(document) - set(self.allowed_keys))
        if unknown:
            found.append(
                f"has key(s) {', '.join(unknown)} the image's parser rejects"
                f" (it accepts only {', '.join(self.allowed_keys)})"
            )
        empty = [
            key for key in self.required_keys
            if key in document and (not isinstance(document[key], str | int) or document[key] == "")
        ]
        if empty:
            found.append(f"has empty or non-scalar value(s) for {', '.join(empty)}")
        return found


@dataclass(frozen=True)
class WritablePath:
    """A directory the image writes to at run time: a volume when the root file system is read-only."""

    path: str
    why: str

    @property
    def volume_name(self) -> str:
        """The task definition volume mounted there (ECS: letters, numbers, hyphens, underscores)."""
        return self.path.strip("/").replace("/", "-") or "root"


@dataclass(frozen=True)
class ImageContract:
    image: str
    operating_system_family: str  # ECS runtimePlatform.operatingSystemFamily
    cpu_architecture: str  # ECS runtimePlatform.cpuArchitecture
    container_port: int
    health_check_path: str
    environment: Mapping[str, str]  # variable -> name of the deployment value it must equal
    database_secret: SecretVariable
    writable_paths: tuple[WritablePath, ...] = ()
    database_tls: bool = False  # the database client tries TLS (a TLS-only cluster accepts it)

    def environment_values(self, values: Mapping[str, str]) -> dict[str, str]:
        """The plain variables, each set to its deployment value (``values`` keyed by DEPLOYMENT_VALUES)."""
        return {variable: values[source] for variable, source in self.environment.items()}


def _require(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        raise ContractError(f"{CONTRACT_FILE.name}: {key} is missing or not a {kind}")
    return value


def load_contract(path: Path = CONTRACT_FILE) -> ImageContract:
    data = json.loads(path.read_text(encoding="utf-8"))
    environment = _require(data, "environment", dict)
    for variable, spec in environment.items():
        if not isinstance(spec, dict) or spec.get("equals") not in DEPLOYMENT_VALUES:
            raise ContractError(
                f"{path.name}: environment.{variable}.equals must be one of {', '.join(DEPLOYMENT_VALUES)}"
            )
    secret = _require(data, "databaseSecret", dict)
    required = tuple(_require(secret, "requiredKeys", list))
    allowed = tuple(_require(secret, "allowedKeys", list))
    if not set(required) <= set(allowed):
        raise ContractError(f"{path.name}: databaseSecret.requiredKeys must all be allowedKeys")
    variable = _require(secret, "variable", str)
    if variable in environment:
        raise ContractError(f"{path.name}: {variable} is both a plain and a secret variable")
    writable = _require(data, "writablePaths", dict)
    for directory, spec in writable.items():
        if not (directory.startswith("/") and isinstance(spec, dict) and isinstance(spec.get("why"), str)):
            raise ContractError(f"{path.name}: writablePaths.{directory} must be an absolute path with a why")
    tls = _require(data, "databaseTls", dict)
    return ImageContract(
        image=_require(data, "image", str),
        operating_system_family=_require(data, "operatingSystemFamily", str),
        cpu_architecture=_require(data, "cpuArchitecture", str),
        container_port=_require(data, "containerPort", int),
        health_check_path=_require(data, "healthCheckPath", str),
        environment={name: spec["equals"] for name, spec in environment.items()},
        database_secret=SecretVariable(variable=variable, required_keys=required, allowed_keys=allowed),
        writable_paths=tuple(WritablePath(path, spec["why"]) for path, spec in writable.items()),
        database_tls=_require(tls, "negotiates", bool),
    )


TASKS_IMAGE = load_contract()
