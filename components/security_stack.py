"""Stack ``security``: the log archive and organization trail, the delegated security services and the
baseline of every member account.

Run by a person with management credentials after ``org`` and the driver's readiness wait (the two
Security-OU accounts are new). Before anything is declared, the program reads the org stack's outputs and
resolves the configured account keys against them: each must be an account of the organization in OU
``Security``, neither may be the management account. Then three providers, each pinned to its account:

- ``security-management``: the caller's management credentials, no role. The organization trail, the
  delegated-administrator registrations, the S3 organization policy and the baseline's StackSets
  (EBS encryption; AWS Config recording when ``tooling.awsConfig``) live there
  (AWS runs those calls only from the management account).
- ``security-log-archive``: the org's access role in the log-archive account. The bucket and its key.
- ``security-tooling``: the org's access role in the security-tooling account. GuardDuty, Security Hub,
  IAM Access Analyzer (and the AWS Config aggregator): what the delegated administrator runs itself.

The components own their resources (and protect them: protect and retain on delete); this module decides
only where each runs and with what.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.account_baseline import AccountBaseline, AccountBaselineArgs
from components.log_archive import LogArchive, LogArchiveArgs
from components.org_trail import OrganizationTrail, OrganizationTrailArgs
from components.providers import OrgStack, account_provider, member_account_id, project_tags, role_arn
from components.security_services import SecurityServices, SecurityServicesArgs
from components.settings.base import PROJECT, ConfigError, stack_file
from components.settings.security import KEY, SecurityConfig, default_bucket_name
from iam_documents.access_role import ORGANIZATION_ACCESS_ROLE

SECURITY_OU = "Security"
ORG_STACK_KEY = f"{PROJECT}:orgStack"


def reader_role_pattern(account_id: str, permission_set: str) -> str:
    """The ``ArnLike`` pattern of the role Identity Center creates for ``permission_set`` in an account.

    IAM Identity Center User Guide, "Referencing permission sets in resource policies, Amazon EKS, and AWS
    KMS" (referencingpermissionsets.html): the role's ARN is ``arn:aws:iam::<id>:role/aws-reserved/
    sso.amazonaws.com/<region>/AWSReservedSSO_<set>_<suffix>``, its suffix new at each re-assignment. In
    ``ArnLike`` a ``*`` also spans ``/``, so the pattern holds with or without the region segment.
    """
    return f"arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_{permission_set}_*"


@dataclass(frozen=True)
class SecurityAccounts:
    """What the program takes from the org stack's outputs, checked."""

    log_archive: str  # account ids
    tooling: str
    management: str
    organization_id: str
    root_id: str
    access_role_name: str


def resolve_accounts(config: SecurityConfig, outputs: Mapping[str, Any], source: str) -> SecurityAccounts:
    """The two accounts' ids and the organization's ids; ConfigError naming the key on any problem."""
    ous = outputs.get("account_ous")
    placed: Mapping[str, Any] = ous if isinstance(ous, Mapping) else {}
    management = str(outputs.get("management_account_id") or "")
    ids: dict[str, str] = {}
    for key, account in ((f"{KEY}.logArchive.account", config.log_archive.account),
                         (f"{KEY}.tooling.account", config.tooling.account)):
        ids[account] = member_account_id(outputs, account, key=key, source=source, org_stack=config.org_stack)
        ou = str(placed.get(account) or "")
        if ou != SECURITY_OU and not ou.startswith(f"{SECURITY_OU}/"):
            raise ConfigError(source, key, f"'{account}' sits in OU '{ou or 'unknown'}', not in "
                                           f"{SECURITY_OU}: move it there in Pulumi.org.yaml")
    _check_readers(config, outputs, source)
    organization_id, root_id = (str(outputs.get(name) or "") for name in ("organization_id", "root_id"))
    for name, value in (("organization_id", organization_id), ("root_id", root_id),
                        ("management_account_id", management)):
        if not value:
            raise ConfigError(source, ORG_STACK_KEY, f"the {config.org_stack} stack exports no {name}: "
                                                     "update it first (python -m deploy up --stack org)")
    return SecurityAccounts(
        log_archive=ids[config.log_archive.account], tooling=ids[config.tooling.account],
        management=management, organization_id=organization_id, root_id=root_id,
        access_role_name=str(outputs.get("access_role_name") or ORGANIZATION_ACCESS_ROLE),
    )


def _check_readers(config: SecurityConfig, outputs: Mapping[str, Any], source: str) -> None:
    """Each reader permission set must be one the org stack creates (its role would never exist)."""
    permission_sets = outputs.get("permission_sets")
    if not isinstance(permission_sets, Mapping):
        return  # an org stack without Identity Center outputs: nothing to check against
    for index, name in enumerate(config.log_archive.reader_permission_sets):
        if name not in permission_sets:
            raise ConfigError(source, f"{KEY}.logArchive.readerPermissionSets[{index}]",
                              f"'{name}' is no permission set of the {config.org_stack} stack (it has: "
                              f"{', '.join(sorted(permission_sets)) or 'none'})")


@dataclass(frozen=True)
class SecurityProviders:
    management: aws.Provider  # the caller's management credentials
    log_archive: aws.Provider
    tooling: aws.Provider


def security_providers(config: SecurityConfig, org: OrgStack, ids: SecurityAccounts) -> SecurityProviders:
    """One provider per account, pinned with ``allowed_account_ids``; the members' through the access role."""
    tags = project_tags(config.tags)
    session = f"{PROJECT}-security"

    def member(name: str, account_id: str) -> aws.Provider:
        pinned = org.value("accounts", account_id)
        return account_provider(name, account_id=pinned, region=config.region,
                                role_arn=role_arn(pinned, ids.access_role_name), session_name=session,
                                default_tags=tags)

    return SecurityProviders(
        management=account_provider("security-management",
                                    account_id=org.value("management_account_id", ids.management),
                                    region=config.region, default_tags=tags),
        log_archive=member("security-log-archive", ids.log_archive),
        tooling=member("security-tooling", ids.tooling),
    )


def security_program(config: SecurityConfig) -> dict[str, Any]:
    source = stack_file(pulumi.get_stack())
    org = OrgStack.read(config.org_stack, source=source)
    ids = resolve_accounts(config, org.outputs, source)  # before anything is declared
    org.declare_reference()
    providers = security_providers(config, org, ids)
    log_settings, tooling = config.log_archive, config.tooling

    log_archive = LogArchive(
        "log-archive",
        LogArchiveArgs(
            account_id=ids.log_archive,
            management_account_id=ids.management,
            organization_id=ids.organization_id,
            region=config.region,
            bucket_name=log_settings.bucket_name or default_bucket_name(ids.log_archive, config.region),
            trail_name=log_settings.trail_name,
            retention_days=log_settings.retention_days,
            transition_days=log_settings.transition_days,
            reader_role_patterns=[reader_role_pattern(ids.log_archive, name)
                                  for name in log_settings.reader_permission_sets],
            config_delivery=tooling.aws_config,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": providers.log_archive}),
    )
    trail = OrganizationTrail(
        "org-trail",
        OrganizationTrailArgs(
            name=log_settings.trail_name,
            bucket_name=log_archive.bucket_name,
            kms_key_arn=log_archive.key_arn,
            # CloudTrail checks the bucket policy and the key policy when the trail is created.
            ready=[log_archive.bucket_policy, log_archive.key],
        ),
        opts=pulumi.ResourceOptions(providers={"aws": providers.management}),
    )
    services = SecurityServices(
        "security-services",
        SecurityServicesArgs(
            tooling_account_id=ids.tooling,
            region=config.region,
            root_id=ids.root_id,
            guard_duty=tooling.guard_duty,
            security_hub=tooling.security_hub,
            access_analyzer=tooling.access_analyzer,
            aws_config=tooling.aws_config,
            management=providers.management,
            tooling=providers.tooling,
            # The baseline's other regions: Security Hub's findings and its central configuration, and
            # the Config aggregator, cover them too (GuardDuty and the analyzer stay in the home region).
            linked_regions=tuple(region for region in config.regions if region != config.region),
        ),
    )
    baseline = config.security.baseline
    AccountBaseline(
        "account-baseline",
        AccountBaselineArgs(
            root_id=ids.root_id,
            regions=config.regions,
            s3_block_public_access=baseline.s3_block_public_access,
            ebs_encryption_by_default=baseline.ebs_encryption_by_default,
            aws_config=tooling.aws_config,
            log_archive_bucket_name=log_archive.bucket_name,
            log_archive_key_arn=log_archive.key_arn,
            home_region=config.region,
            # The recorders' first delivery checks the bucket and uses the key: their policies come first.
            log_archive_ready=[log_archive.bucket_policy, log_archive.key],
        ),
        opts=pulumi.ResourceOptions(providers={"aws": providers.management}),
    )
    return {
        "log_archive_account_id": ids.log_archive,
        "tooling_account_id": ids.tooling,
        "log_archive_bucket": log_archive.bucket_name,
        "log_archive_key_arn": log_archive.key_arn,
        "trail_arn": trail.trail.arn,
        "guardduty_detector_id": services.detector.id if services.detector is not None else None,
        "baseline_regions": list(config.regions),
    }
