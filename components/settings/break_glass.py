"""Settings of break-glass access (stack ``org``, ``landing-zone:breakGlass``): emergency IAM users in the
management account for when Identity Center is unavailable, and the sign-in alerts.

The users get no password and no access key from the program (docs/security.md "Break-glass" says how
an administrator sets a console password and MFA). Alerts go to ``alerts.emails``; left out, to the
``emailPattern`` address of key ``security`` (aws+security@...). An empty list while alerts are on is an
error: nobody would hear of a root or break-glass sign-in.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import StringConstraints

from components.settings.base import PROJECT, REGION, ConfigError, Email, Model, duplicates
from components.settings.derived import EMAIL_PATTERN, DerivedValue, email_from_pattern, missing_email

KEY = f"{PROJECT}:breakGlass"
ALERT_EMAIL_KEY = "security"  # the ``{key}`` of the default alert address under emailPattern
USER_PATH = "/break-glass/"
GROUP_NAME = "break-glass-administrators"  # accepted as admin-equivalent by name (deploy/policy_config.py)
DEFAULT_USERS = ("breakglass-1", "breakglass-2")
# IAM user names (IAM API Reference, CreateUser: UserName, [\w+=,.@-]+, 1-64 characters).
IamUserName = Annotated[str, StringConstraints(pattern=r"^[\w+=,.@-]{1,64}$")]
Region = Annotated[str, StringConstraints(pattern=REGION)]

# Where CloudTrail records a console sign-in (CloudTrail User Guide, "AWS Management Console sign-in
# events", cloudtrail-event-reference-aws-console-sign-in-events.html): the root user's always in
# us-east-1; an IAM user's through the global endpoint in us-east-1, or, with an account-alias cookie,
# in us-east-2, eu-north-1 or ap-southeast-2 (the console proxy picks by latency); through a Regional
# endpoint, in that Region. The alerting rule lives in HOME_REGION; ``forwardRegions`` forward to it.
# Each forwarding Region is a Region the project manages resources in (the allowed-regions guardrail
# allows it: deploy/policy_config.py), so none is forwarded unless the stack file lists it; the shipped
# Pulumi.org.yaml lists these three.
HOME_REGION = "us-east-1"
ALIAS_COOKIE_REGIONS = ("us-east-2", "eu-north-1", "ap-southeast-2")


class BreakGlassAlerts(Model):
    """Who hears of a root or break-glass console sign-in, and which Regions' sign-ins are forwarded."""

    enabled: bool = True
    emails: tuple[Email, ...] | None = None  # from emailPattern (key `security`) when left out
    forward_regions: tuple[Region, ...] = ()


class BreakGlassSettings(Model):
    """IAM users (path /break-glass/) in the management account, admins only with MFA, and alerts."""

    users: tuple[IamUserName, ...] = DEFAULT_USERS
    alerts: BreakGlassAlerts = BreakGlassAlerts()

    @property
    def alert_emails(self) -> tuple[str, ...]:
        """The addresses alerts go to (none when alerts are off); ``check_break_glass`` holds it non-empty."""
        return tuple(self.alerts.emails or ()) if self.alerts.enabled else ()


def derive_alert_emails(
    raw: Mapping[str, Any], pattern: str | None, source: str
) -> tuple[dict[str, Any], list[DerivedValue]]:
    """Fill ``breakGlass.alerts.emails`` from ``emailPattern`` (key ``security``) where it is left out
    and alerts are on. Works on the raw values before validation; odd shapes are left to validation."""
    settings = raw.get("breakGlass")
    if settings is not None and not isinstance(settings, Mapping):
        return dict(raw), []
    settings = copy.deepcopy(dict(settings or {}))
    alerts = settings.get("alerts")
    if alerts is not None and not isinstance(alerts, Mapping):
        return dict(raw), []
    alerts = dict(alerts or {})
    if "emails" in alerts or alerts.get("enabled", True) is False:
        return dict(raw), []
    where = f"{KEY}.alerts.emails"
    if pattern is None:
        return dict(raw), []  # check_break_glass asks for the addresses
    address = email_from_pattern(pattern, ALERT_EMAIL_KEY, source=source, config_key=where)
    alerts["emails"] = [address]
    settings["alerts"] = alerts
    return {**raw, "breakGlass": settings}, [DerivedValue(where, address, EMAIL_PATTERN)]


def check_break_glass(settings: BreakGlassSettings, source: str) -> None:
    """Cross-field checks of ``breakGlass``; each raises ConfigError naming the offending key."""
    for name in duplicates(user.lower() for user in settings.users):  # IAM user names are case-insensitive
        raise ConfigError(source, f"{KEY}.users", f"duplicate user '{name}'")
    alerts = settings.alerts
    if alerts.enabled and alerts.emails is None:
        raise missing_email(source, f"{KEY}.alerts.emails")
    if alerts.enabled and not alerts.emails:
        raise ConfigError(
            source, f"{KEY}.alerts.emails",
            "is empty while alerts are enabled: list at least one address (or set alerts.enabled: false)",
        )
    for address in duplicates(address.lower() for address in alerts.emails or ()):
        raise ConfigError(source, f"{KEY}.alerts.emails", f"duplicate address '{address}'")
    for region in duplicates(alerts.forward_regions):
        raise ConfigError(source, f"{KEY}.alerts.forwardRegions", f"duplicate Region '{region}'")
    if HOME_REGION in alerts.forward_regions:
        raise ConfigError(
            source, f"{KEY}.alerts.forwardRegions",
            f"{HOME_REGION} holds the alerting rule itself; list only the Regions that forward to it",
        )
