"""Stack check: Security Hub CSPM without AWS Config runs, but most of its controls cannot evaluate.

Under mocks (and on AWS) the configuration policy deploys either way. But the AWS Foundational Security
Best Practices controls are mostly AWS Config rules: "All Security Hub accounts must have AWS Config
enabled and configured to record all resources" (Security Hub User Guide,
designate-orgs-admin-account.html). With ``tooling.securityHub`` on and ``tooling.awsConfig`` off the
security stack pays for Security Hub and sees few findings, so ``plan`` says so (a warning: it is a
cost choice the config may make on purpose).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.security_services import controls_without_config
from components.settings.base import PROJECT
from deploy.stack_checks import WARNING, Finding, StackContext

CHECK = "security services"
SECURITY_KEY = f"{PROJECT}:security"
# The defaults of the shared contract (components/settings/security.py, model SecurityConfig).
SECURITY_HUB_DEFAULT = True
AWS_CONFIG_DEFAULT = False


def _tooling_flags(context: StackContext) -> tuple[bool, bool] | None:
    """(securityHub, awsConfig) of a security stack: from its validated settings when they carry the
    ``tooling`` part, else from the stack file with the contract's defaults; None for other stacks."""
    tooling = getattr(context.settings, "tooling", None)
    if tooling is not None and hasattr(tooling, "security_hub") and hasattr(tooling, "aws_config"):
        return bool(tooling.security_hub), bool(tooling.aws_config)
    security: Any = context.file_config.get(SECURITY_KEY)
    if not isinstance(security, Mapping):
        return None
    raw = security.get("tooling")
    values: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    return (values.get("securityHub", SECURITY_HUB_DEFAULT) is True,
            values.get("awsConfig", AWS_CONFIG_DEFAULT) is True)


def check_security_hub_needs_config(context: StackContext) -> list[Finding]:
    if context.settings is None:  # config errors are reported already
        return []
    flags = _tooling_flags(context)
    if flags is None or not controls_without_config(*flags):
        return []
    return [Finding(
        CHECK, WARNING, f"{context.source}: {SECURITY_KEY}.tooling.awsConfig",
        "is off while securityHub is on: most AWS Foundational Security Best Practices controls are AWS "
        "Config rules and report no result until Config records in every account; turn awsConfig on "
        "(Config bills per configuration item recorded), or securityHub off",
    )]
