"""Where the stacks' state lives: one answer for the driver and for plain ``pulumi``.

The Pulumi CLI chooses its backend in this order (pulumi/pulumi ``pkg/workspace/creds.go``,
``GetCurrentCloudURL``): ``PULUMI_BACKEND_URL`` when set and not empty, else ``backend.url`` of the
project's ``Pulumi.yaml``, else the backend of the last ``pulumi login``. ``Pulumi.yaml`` names
``file://./.pulumi-state``; the CLI makes a relative file URL absolute against the directory it runs in
(``pkg/backend/diy/backend.go``, ``massageBlobPath``: ``filepath.Abs``), and refuses a folder that does
not exist (pulumi/pulumi#15841). The driver runs every Pulumi command in the project root, and reads
the same two settings in the same order, so ``python -m deploy`` and ``pulumi`` run at the root (or
``pulumi -C <root>``) reach the same state.

A local file backend in CI dies with the runner, and with it the only record of what was created:
:func:`refuse_local_in_ci` stops the driver before any Pulumi command unless the user says otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.config import ConfigError
from deploy.runner import SetupError

BACKEND_VAR = "PULUMI_BACKEND_URL"
SECRETS_VAR = "PULUMI_SECRETS_PROVIDER"  # the secrets provider of stacks the driver creates
ALLOW_LOCAL_VAR = "DEPLOY_ALLOW_LOCAL_BACKEND"
PROJECT_FILE = "Pulumi.yaml"
FILE_PREFIX = "file://"
DEFAULT_URL = "file://./.pulumi-state"  # what Pulumi.yaml names; used only if it names nothing
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Backend:
    """The state backend of every Pulumi command the driver runs."""

    url: str  # as the CLI gets it; a file URL made absolute against the project root
    source: str  # where it came from: PULUMI_BACKEND_URL, Pulumi.yaml backend.url, or the default

    @property
    def local_path(self) -> Path | None:
        return file_backend_folder(self.url)

    def describe(self) -> str:
        return f"{self.url} (from {self.source})"


def project_backend_url(root: Path) -> str | None:
    """``backend.url`` of the project's ``Pulumi.yaml``, or None when it sets none."""
    path = root / PROJECT_FILE
    if not path.is_file():
        return None
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(PROJECT_FILE, "backend", f"invalid YAML: {error}".splitlines()[0]) from None
    backend = data.get("backend") if isinstance(data, dict) else None
    if backend is None:
        return None
    url = backend.get("url") if isinstance(backend, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(PROJECT_FILE, "backend.url", "must be a URL (file://, s3://, https://, ...)")
    return url.strip()


def resolve(root: Path, environ: Mapping[str, str]) -> Backend:
    """The backend the CLI would use in ``root`` with this environment (no stored login consulted)."""
    from_env = environ.get(BACKEND_VAR, "").strip()
    if from_env:
        return Backend(absolute_url(from_env, root), BACKEND_VAR)
    from_project = project_backend_url(root)
    if from_project:
        return Backend(absolute_url(from_project, root), f"{PROJECT_FILE} backend.url")
    return Backend(absolute_url(DEFAULT_URL, root), "the driver's default")


def file_backend_folder(url: str) -> Path | None:
    """The folder of a file backend URL, None for any other backend."""
    if not url.startswith(FILE_PREFIX):
        return None
    return Path(url[len(FILE_PREFIX) :].split("?", 1)[0])


def absolute_url(url: str, root: Path) -> str:
    """A file URL with its path made absolute as the CLI does when run in ``root``; others unchanged."""
    if not url.startswith(FILE_PREFIX):
        return url
    path, _, query = url[len(FILE_PREFIX) :].partition("?")
    folder = Path(os.path.expanduser(path))
    if not folder.is_absolute():
        folder = root / folder
    resolved = f"{FILE_PREFIX}{folder.resolve()}"
    return f"{resolved}?{query}" if query else resolved


def in_ci(environ: Mapping[str, str]) -> bool:
    """``CI`` as CI services set it (GitHub Actions, GitLab CI, CircleCI, ...: ``true``)."""
    return environ.get("CI", "").strip().lower() in _TRUE


def refuse_local_in_ci(backend: Backend, environ: Mapping[str, str], *, allow: bool = False) -> None:
    """Raises SetupError when CI runs the driver on a local file backend and nobody allowed it."""
    folder = backend.local_path
    if folder is None or not in_ci(environ):
        return
    if allow or environ.get(ALLOW_LOCAL_VAR, "").strip().lower() in _TRUE:
        return
    raise SetupError(
        f"CI is set and the state backend is the local folder {folder} (from {backend.source}), which "
        f"dies with the runner; set {BACKEND_VAR} to a shared backend (s3://<bucket>/<prefix>, "
        f"https://api.pulumi.com), or pass --allow-local-backend ({ALLOW_LOCAL_VAR}=1) to use it anyway"
    )


@dataclass(frozen=True)
class StateKey:
    """The org stack file's state key: the account key it lives in, its alias and its region."""

    account: str
    alias: str
    region: str

    @property
    def by_alias_name(self) -> str:
        """``awskms://<alias>?region=...``: KMS looks an alias name up in the caller's account only."""
        return f"awskms://{self.alias}?region={self.region}"

    def by_alias_arn(self, account_id: str) -> str:
        """``awskms:///<alias ARN>?region=...``, usable from any account the key policy admits (KMS API
        Reference, Encrypt ``KeyId``; the ARN goes in the URL path, gocloud.dev secrets/awskms)."""
        return f"awskms:///arn:aws:kms:{self.region}:{account_id}:{self.alias}?region={self.region}"


def fallback_state_key(root: Path, environ: Mapping[str, str], backend: Backend) -> StateKey | None:
    """The state key new stacks fall back to: on a shared (non-file) backend without
    ``PULUMI_SECRETS_PROVIDER``, the org stack file's ``landing-zone:stateBackend``; else None."""
    if environ.get(SECRETS_VAR, "").strip() or backend.local_path is not None:
        return None
    from components.settings.state_backend import StateBackendSettings
    from components.stack_files import read_stack_file

    try:
        raw = read_stack_file("org", root)
    except (ConfigError, OSError):
        return None
    settings = raw.get("stateBackend")
    if not isinstance(settings, dict):
        return None
    try:
        parsed = StateBackendSettings.model_validate(settings)
    except ValueError:
        return None  # the config check reports it, with the file and key
    region = parsed.region or str(raw.get("region") or "us-east-1")
    return StateKey(parsed.account, parsed.key_alias, region)


def secrets_provider(root: Path, environ: Mapping[str, str], backend: Backend) -> str | None:
    """The secrets provider of the stacks the driver creates: ``PULUMI_SECRETS_PROVIDER`` when set; else,
    on a shared (non-file) backend, the KMS key of the org stack file's ``landing-zone:stateBackend`` by
    its alias name (:func:`fallback_state_key`; the driver turns it into the alias ARN once the org
    stack's outputs give the state account's id, deploy/automation.py); else None (the CLI's default: the
    passphrase for a DIY backend). Used only when a stack is created (``stack init --secrets-provider``);
    an existing stack keeps the provider its stack file records.
    """
    from_env = environ.get(SECRETS_VAR, "").strip()
    if from_env:
        return from_env
    key = fallback_state_key(root, environ, backend)
    return key.by_alias_name if key is not None else None
