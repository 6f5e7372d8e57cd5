"""What the driver's commands reach outside this process (``Services``; the tests replace its parts), and
the state backend and stack runner the commands that drive Pulumi share (deploy/cli.py, deploy/operations.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from components import config as stack_config
from deploy.runner import StackRunner
from deploy.stacks import StackTable, discover


@dataclass
class Services:
    """What the commands reach outside this process; the tests replace these."""

    root: Path = stack_config.PROJECT_ROOT
    runner: Callable[[], StackRunner] | None = None  # default: AutomationRunner(root)
    command_factory: Callable[[], Any] | None = None  # the AutomationRunner's Pulumi CLI (tests: a fake)
    session_factory: Callable[[], Any] | None = None  # default: boto3.Session
    cloudformation_client: Callable[[str], Any] | None = None  # region -> client (deploy/stackset_access)
    rds_client: Callable[[str, Any, Mapping[str, Any]], Any] | None = None  # deploy/aurora_version
    accounts_for: Callable[[str, Mapping[str, Any]], list[tuple[str, str, str]]] | None = None
    fetch: Callable[[str, float], int] | None = None  # smoke-check HTTP GET -> status
    sleep: Callable[[float], None] = time.sleep
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    check_credentials: bool = True
    check_org_references: bool = True  # deploy/org_references.py, before each environment's first command
    check_engine_version: bool = True  # deploy/aurora_version.py, before each environment's preview/up
    stacks: StackTable | None = None  # default: discovered from the stack files at ``root``, once

    def stack_table(self) -> StackTable:
        """The stacks and their order (deploy/stacks.py), read from ``root`` on first use."""
        if self.stacks is None:
            self.stacks = discover(self.root)
        return self.stacks


def check_backend(services: Services, args: argparse.Namespace) -> None:
    """In CI, a local file state backend stops the command before anything else (deploy.backend)."""
    from deploy import backend

    allow = bool(args.allow_local_backend)
    backend.refuse_local_in_ci(backend.resolve(services.root, os.environ), os.environ, allow=allow)


def make_runner(
    services: Services, args: argparse.Namespace, policy_config: Path | None = None
) -> StackRunner:
    if services.runner is not None:
        return services.runner()
    from pulumi import automation as auto

    from deploy.automation import AutomationRunner
    from deploy.progress import StackProgress, StatusLine, interactive

    # One status line redrawn in a terminal; plain lines in CI, or when stacks run side by side.
    status = StatusLine() if interactive() and not getattr(args, "parallel", False) else None
    return AutomationRunner(
        services.root,
        command_factory=services.command_factory or auto.PulumiCommand,
        allow_local_backend=args.allow_local_backend,
        policy_pack_config=policy_config,
        progress=lambda stack, emit: StackProgress(stack, emit, status=status),
    )


