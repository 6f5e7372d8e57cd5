"""``plan`` lists the config values the project derives, with where each one comes from.

One ``info`` finding per value (deploy/stack_checks.py): the key, the value (or "at deploy time") and its
source. An explicit value in the stack file is not listed: it is not derived.

- org: ``managementAccountId`` (caller identity) and ``organization.importId`` (the caller's
  organization), both found by ``python -m deploy`` at deploy time (deploy/derive.py); the e-mails
  ``emailPattern`` gives (components/settings/landing_zone.py, identity_center.py);
- environments: ``cognito.domainPrefix`` from the IdP account id (components/settings/environment.py),
  with the value the program declared under mocks.
"""

from __future__ import annotations

from components import config as stack_config
from components.settings import derived
from components.settings.environment import derived_domain_prefix
from deploy.stack_checks import INFO, Finding, StackContext

CHECK = "derived"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"


def derived_values_check(context: StackContext) -> list[Finding]:
    settings = context.settings
    if settings is None or isinstance(settings, stack_config.CicdConfig | stack_config.SecurityConfig):
        return []  # the config error is reported already; the cicd and security stacks derive nothing
    values = (
        _org_values(context)
        if isinstance(settings, stack_config.OrgConfig)
        else _environment_values(context, settings)
    )
    return [Finding(CHECK, INFO, f"{context.source}: {value.key}", describe(value)) for value in values]


def describe(value: derived.DerivedValue) -> str:
    if value.value is not None:
        return f"{value.value} (from {value.source})"
    text = f"at deploy time, from {value.source}"
    if value.key.endswith(":managementAccountId"):
        text += f"; plan uses {derived.OFFLINE_MANAGEMENT_ACCOUNT_ID}"
    return text


def _org_values(context: StackContext) -> list[derived.DerivedValue]:
    raw = stack_config.project_values(context.file_config)
    _, emails = stack_config.derive_emails(raw, context.source)
    return [*derived.deploy_time_values(raw), *emails]


def _environment_values(
    context: StackContext, settings: stack_config.EnvConfig
) -> list[derived.DerivedValue]:
    if settings.cognito.domain_prefix is not None:
        return []
    template = derived_domain_prefix(settings.environment, "<IdP account id>")
    domains = context.recording.of_type(DOMAIN) if context.recording is not None else []
    shown = f"{template}; under mocks {domains[0].inputs.get('domain')}" if len(domains) == 1 else template
    key = f"{stack_config.PROJECT}:cognito.domainPrefix"
    return [derived.DerivedValue(key, shown, derived.IDP_ACCOUNT_ID)]
