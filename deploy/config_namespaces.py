"""Stack check: every key of a stack file belongs to ``landing-zone:``, ``aws:`` or ``pulumi:``.

The rules are components/config_keys.py's, which also stop ``pulumi up`` and ``python -m deploy
preview``/``up`` at config load; here ``plan`` reports every offending key of the file at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from components import config_keys
from deploy.stack_checks import ERROR, WARNING, Finding, StackContext


def check(context: StackContext) -> list[Finding]:
    findings = [
        Finding("config keys", ERROR, f"{context.source}: {key}", problem)
        for key, problem in config_keys.problems(context.file_config)
    ]
    disabled = context.file_config.get(f"{config_keys.PULUMI}:disable-default-providers")
    if isinstance(disabled, Sequence) and not isinstance(disabled, str) and {"*", "aws"} & set(disabled):
        # Stack config configures only the default provider (https://www.pulumi.com/docs/iac/concepts/
        # config/, "Provider Configuration Options"), which this stack disables.
        findings += [
            Finding(
                "config keys",
                WARNING,
                f"{context.source}: {key}",
                "has no effect: it configures only the default aws provider, which "
                "pulumi:disable-default-providers turns off (the stack's providers read landing-zone: keys)",
            )
            for key in context.file_config
            if str(key).startswith(f"{config_keys.AWS}:") and config_keys.key_problem(str(key)) is None
        ]
    return findings
