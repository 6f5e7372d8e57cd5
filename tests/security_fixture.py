"""A security stack of the contract's shape (docs/security.md), declared with pulumi_aws' own Args classes and
recorded under mocks: what the security guardrails and the security cost lines are tested on, so the
property names are the ones the engine sends. Not the project's program (components/security_stack.py):
that one is tested by its own tests; this one lets the rules be tested alone, one fault at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from deploy.simulate import Recording, simulate

MANAGEMENT, LOG_ARCHIVE, TOOLING = "111111111111", "333333333333", "444444444444"
REGION = "us-east-1"
BUCKET = f"landing-zone-org-trail-{LOG_ARCHIVE}-{REGION}"


@dataclass(frozen=True)
class Shape:
    """What the program declares; the defaults are the shipped security config's."""

    retention_days: int = 365
    transition_days: int | None = 90
    guard_duty: bool = True
    security_hub: bool = True
    aws_config: bool = False
    access_log_bucket: bool = False  # a second bucket in the log archive, SSE-S3 only (server access logs)


class _Component(pulumi.ComponentResource):
    def __init__(self, type_: str, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_, name, None, opts)


def _provider(name: str, account: str, role: bool) -> aws.Provider:
    role_arn = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
    assume = [aws.ProviderAssumeRoleArgs(role_arn=role_arn)] if role else None
    return aws.Provider(name, region=REGION, allowed_account_ids=[account], assume_roles=assume)


def _log_archive(shape: Shape, provider: aws.Provider) -> tuple[aws.s3.Bucket, aws.kms.Key]:
    archive = _Component("landingzone:security:LogArchive", "log-archive")
    opts = pulumi.ResourceOptions(parent=archive, provider=provider, protect=True, retain_on_delete=True)
    key = aws.kms.Key("log-archive", description="organization trail logs", enable_key_rotation=True,
                      opts=opts)
    bucket = aws.s3.Bucket("log-archive", bucket=BUCKET, opts=opts)
    child = pulumi.ResourceOptions(parent=archive, provider=provider)
    aws.s3.BucketServerSideEncryptionConfiguration(
        "log-archive", bucket=bucket.id, opts=child,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.
            BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=key.arn),
            bucket_key_enabled=True)])
    aws.s3.BucketVersioning(
        "log-archive", bucket=bucket.id, opts=child,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"))
    aws.s3.BucketPublicAccessBlock("log-archive", bucket=bucket.id, block_public_acls=True,
                                   block_public_policy=True, ignore_public_acls=True,
                                   restrict_public_buckets=True, opts=child)
    transitions = ([aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
        days=shape.transition_days, storage_class="GLACIER_IR")] if shape.transition_days else None)
    aws.s3.BucketLifecycleConfiguration(
        "log-archive", bucket=bucket.id, opts=child,
        rules=[aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="logs", status="Enabled", filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            transitions=transitions,
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=shape.retention_days))])
    if shape.access_log_bucket:
        access_logs = aws.s3.Bucket("log-archive-access-logs", opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            "log-archive-access-logs", bucket=access_logs.id, opts=child,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.
                BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"))])
    return bucket, key


def _services(shape: Shape, management: aws.Provider, tooling: aws.Provider) -> None:
    services = _Component("landingzone:security:SecurityServices", "security-services")
    in_management = pulumi.ResourceOptions(parent=services, provider=management)
    in_tooling = pulumi.ResourceOptions(parent=services, provider=tooling)
    if shape.guard_duty:
        aws.guardduty.OrganizationAdminAccount("guardduty", admin_account_id=TOOLING, opts=in_management)
        detector = aws.guardduty.Detector("guardduty", enable=True, opts=in_tooling)
        aws.guardduty.OrganizationConfiguration("guardduty", detector_id=detector.id,
                                                auto_enable_organization_members="ALL", opts=in_tooling)
    if shape.security_hub:
        aws.securityhub.OrganizationAdminAccount("securityhub", admin_account_id=TOOLING, opts=in_management)
    if shape.aws_config:
        aws.cfg.ConfigurationAggregator(
            "config", opts=in_tooling,
            organization_aggregation_source=aws.cfg.ConfigurationAggregatorOrganizationAggregationSourceArgs(
                all_regions=True, role_arn=f"arn:aws:iam::{TOOLING}:role/config-aggregator"))


def security_program(shape: Shape) -> dict[str, object]:
    management = _provider("security-management", MANAGEMENT, role=False)
    bucket, key = _log_archive(shape, _provider("security-log-archive", LOG_ARCHIVE, role=True))
    trail_owner = _Component("landingzone:security:OrganizationTrail", "org-trail")
    aws.cloudtrail.Trail(
        "org-trail", name="landing-zone-org-trail", s3_bucket_name=bucket.bucket, kms_key_id=key.arn,
        is_organization_trail=True, is_multi_region_trail=True, enable_log_file_validation=True,
        include_global_service_events=True, enable_logging=True,
        opts=pulumi.ResourceOptions(parent=trail_owner, provider=management, protect=True,
                                    retain_on_delete=True))
    _services(shape, management, _provider("security-tooling", TOOLING, role=True))
    return {"log_bucket": bucket.bucket}


def security_recording(shape: Shape | None = None) -> Recording:
    chosen = shape or Shape()
    return simulate("security", lambda: security_program(chosen))
