"""``python -m deploy migrate-state --to URL``: move every stack of the local file backend to a shared one.

For each stack of the source backend (default: the project's, ``Pulumi.yaml`` ``backend.url``, whatever
``PULUMI_BACKEND_URL`` says): ``pulumi stack export`` (with its secrets in plain text, as the Automation
API's ``export_stack`` runs it), then ``pulumi stack init`` and ``pulumi stack import`` in the target
backend. ``stack import`` keeps the secrets manager recorded in the deployment (the passphrase's; it
re-targets only Pulumi Cloud's: pulumi/pulumi pkg/cmd/pulumi/stack/stack_import.go), so with a secrets
provider (``--secrets-provider``, else ``PULUMI_SECRETS_PROVIDER``) the stack is then moved to it with
``pulumi stack change-secrets-provider``, which re-encrypts both the stack file's secure values and the
checkpoint (stack_change_secrets_provider.go). The outputs of each stack are read before and after and
compared: a difference fails the command. A target stack that already holds resources is refused, for
every stack, before anything is imported. The source backend is left as it was.

Note: the change of provider writes ``secretsprovider`` and ``encryptedkey`` into ``Pulumi.<stack>.yaml``
(shared by both backends): commit that change; the passphrase is still needed for the migration itself.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy import backend as state_backend
from deploy.runner import EXIT_OK, DeployError, SetupError

SECRETS_VAR = "PULUMI_SECRETS_PROVIDER"


class MigrationRefused(DeployError):
    """A target stack already holds resources, or the target is the source."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the target backend, e.g. s3://<bucket>?region=<region> (python -m deploy bootstrap prints it)",
    )
    parser.add_argument(
        "--secrets-provider",
        metavar="URL",
        help="secrets provider of the new stacks, as python -m deploy bootstrap prints it "
        f"(awskms:///<alias ARN>?region=...; default: {SECRETS_VAR}; none: the passphrase)",
    )
    parser.add_argument(
        "--from",
        dest="source",
        metavar="URL",
        help="the source backend (default: Pulumi.yaml backend.url, a file backend)",
    )


@dataclass(frozen=True)
class Migrated:
    stack: str
    resources: int
    outputs: int


def run(args: argparse.Namespace, services: Any) -> int:
    from pulumi import automation as auto

    from deploy.automation import _make_command

    root = Path(services.root)
    source = (
        state_backend.absolute_url(args.source, root)
        if args.source
        else state_backend.resolve(root, {}).url  # the project's backend, not PULUMI_BACKEND_URL
    )
    target = state_backend.absolute_url(args.to, root)
    if source == target:
        raise MigrationRefused(f"the target backend {target} is the source backend")
    secrets = args.secrets_provider or os.environ.get(SECRETS_VAR) or None
    command = _make_command(services.command_factory or auto.PulumiCommand)
    folder = state_backend.file_backend_folder(source)
    if folder is not None and not folder.is_dir():
        raise SetupError(f"the source backend {source} does not exist: nothing to migrate")
    target_workspace = _workspace(auto, root, target, command, os.environ)

    def change_provider(stack: str) -> None:
        assert secrets is not None
        args = ["stack", "change-secrets-provider", secrets, "--stack", stack]
        try:
            command.run(args, str(root), dict(target_workspace.env_vars))
        except auto.CommandError as error:
            raise DeployError(
                f"pulumi stack change-secrets-provider of stack {stack} failed: {error}"
            ) from None

    done = migrate(
        source_workspace=_workspace(auto, root, source, command, os.environ),
        target_workspace=target_workspace,
        emit=lambda line: print(line, file=services.stdout),
        change_provider=change_provider if secrets else None,
    )
    print(
        f"migrated {len(done)} stack(s) from {source} to {target}; the source is unchanged. "
        f"Now: export PULUMI_BACKEND_URL='{args.to}'",
        file=services.stdout,
    )
    return EXIT_OK


def _workspace(
    auto: Any, root: Path, url: str, command: Any, environ: Mapping[str, str]
) -> Any:
    env = {state_backend.BACKEND_VAR: url, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    env.update(
        {
            name: environ[name]
            for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
            if name in environ
        }
    )
    return auto.LocalWorkspace(work_dir=str(root), env_vars=env, pulumi_command=command)


def migrate(
    source_workspace: Any, target_workspace: Any, emit: Any, change_provider: Any = None
) -> list[Migrated]:
    """Export, check every target, then create and import each stack; outputs compared after each."""
    from pulumi import automation as auto

    names = [summary.name for summary in source_workspace.list_stacks()]
    if not names:
        emit("the source backend holds no stack: nothing to migrate")
        return []
    exported = {name: source_workspace.export_stack(name) for name in names}
    before = {name: _outputs(source_workspace, name) for name in names}
    existing: set[str] = set()
    refused: list[str] = []
    for name in names:
        try:
            target_workspace.select_stack(name)
        except auto.StackNotFoundError:
            continue
        existing.add(name)
        count = _resource_count(target_workspace.export_stack(name))
        if count:
            refused.append(f"{name} ({count} resources)")
    if refused:
        raise MigrationRefused(
            f"the target backend already holds these stacks with resources: {', '.join(refused)}; nothing "
            "was imported (remove them there, or migrate to another backend)"
        )
    done: list[Migrated] = []
    for name in names:
        if name not in existing:
            target_workspace.create_stack(name)
        target_workspace.import_stack(name, exported[name])
        if change_provider is not None:
            change_provider(name)
        after = _outputs(target_workspace, name)
        if after != before[name]:
            lost = sorted(set(before[name]) - set(after))
            changed = sorted(key for key in before[name] if key in after and after[key] != before[name][key])
            raise DeployError(
                f"stack {name} was imported but its outputs differ (missing: {lost or 'none'}; changed: "
                f"{changed or 'none'}); keep using the source backend and report this"
            )
        migrated = Migrated(name, _resource_count(exported[name]), len(after))
        emit(f"  {name}: {migrated.resources} resources, {migrated.outputs} outputs, identical after import")
        done.append(migrated)
    return done


def _outputs(workspace: Any, name: str) -> dict[str, tuple[Any, bool]]:
    return {key: (value.value, value.secret) for key, value in workspace.stack_outputs(name).items()}


def _resource_count(deployment: Any) -> int:
    body = getattr(deployment, "deployment", None) or {}
    return len(body.get("resources") or [])
