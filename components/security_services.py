"""SecurityServices: GuardDuty, Security Hub CSPM, IAM Access Analyzer and (optionally) the AWS Config
aggregator for the whole organization, delegated to the security-tooling account (stack ``security``).

Two providers, both passed explicitly to every resource: ``management`` (the caller's management-account
credentials) registers the delegated administrators, because only the management account may
(GuardDuty API Reference, EnableOrganizationAdminAccount: "Only the organization's management account
can run this API operation"; Security Hub API Reference, EnableOrganizationAdminAccount: "Can only be
called by the organization management account"; Organizations API Reference,
RegisterDelegatedAdministrator). ``tooling`` (the org access role in security-tooling) makes the calls
AWS requires from the delegated administrator itself: the detector and GuardDuty's organization
configuration, Security Hub's home Region and central configuration, the organization analyzer, the
Config aggregator.

Order, per service (each edge is a ``depends_on`` or an input, so the engine keeps it):
- GuardDuty: detector in security-tooling -> delegation -> organization configuration (auto-enable ALL).
  The detector comes FIRST: delegation enables GuardDuty in the delegated account by itself ("For this
  administrator account, GuardDuty gets enabled automatically only in the designated AWS Region",
  GuardDuty User Guide, guardduty_organizations.html), and an account has one detector per Region
  (API Reference, CreateDetector), so a detector declared after the delegation fails on a fresh account
  because one already exists. Created first, the detector is the one the delegation adopts. The
  management account needs no detector to delegate (GuardDuty User Guide, delegated-admin-designate.html).
- Security Hub CSPM: delegation -> finding aggregator (home Region) -> organization configuration CENTRAL
  -> configuration policy -> association to the root. No ``securityhub.Account`` anywhere: the management
  account "does not need to enable Security Hub before it designates the Security Hub administrator
  account", and the designated account has it "enabled automatically" (Security Hub User Guide,
  securityhub-settingup.html), so enabling it again would conflict. Cross-Region aggregation "is a
  prerequisite for using central configuration" (CloudFormation reference,
  aws-resource-securityhub-findingaggregator.html); with CENTRAL, AutoEnable is false and
  AutoEnableStandards NONE (botocore securityhub model, UpdateOrganizationConfigurationRequest).
- Access Analyzer: registration of access-analyzer.amazonaws.com -> organization analyzer.
- AWS Config (only when on): registration of config.amazonaws.com -> the aggregator and its role.
  config-multiaccountsetup.amazonaws.com is for organization Config rules and conformance packs, which
  this program does not deploy (AWS Config Developer Guide, aggregated-register-delegated-administrator).
  The recorders in each account are the account baseline's, not declared here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

GUARD_DUTY_AUTO_ENABLE = "ALL"  # current and new members (botocore guardduty AutoEnableMembers enum)
ANALYZER_NAME = "landing-zone-organization"
ANALYZER_TYPE = "ORGANIZATION"
ACCESS_ANALYZER_PRINCIPAL = "access-analyzer.amazonaws.com"
CONFIG_PRINCIPAL = "config.amazonaws.com"
CONFIG_AGGREGATOR_NAME = "landing-zone-organization"
# AWS Managed Policy Reference, AWSConfigRoleForOrganizations: read-only Organizations calls for the
# organization aggregator's role.
CONFIG_ORGANIZATIONS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations"
CENTRAL = "CENTRAL"
CONFIGURATION_POLICY_NAME = "landing-zone-fsbp"


def fsbp_standard_arn(region: str) -> str:
    """The AWS Foundational Security Best Practices standard's ARN (a standard ARN, not a subscription's:
    Security Hub User Guide, fsbp-standard.html; the provider's ConfigurationPolicy example)."""
    return f"arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0"


def controls_without_config(security_hub: bool, aws_config: bool) -> bool:
    """Security Hub on and AWS Config off: most FSBP controls are Config-rule based and cannot evaluate
    ("All Security Hub accounts must have AWS Config enabled and configured to record all resources",
    Security Hub User Guide, designate-orgs-admin-account.html)."""
    return security_hub and not aws_config


def config_role_trust() -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": CONFIG_PRINCIPAL}, "Action": "sts:AssumeRole"},
        ],
    }, separators=(",", ":"))


@dataclass(frozen=True)
class SecurityServicesArgs:
    tooling_account_id: pulumi.Input[str]
    region: str  # the home Region: the providers' region, Security Hub's aggregation Region
    root_id: pulumi.Input[str]
    guard_duty: bool
    security_hub: bool
    access_analyzer: bool
    aws_config: bool
    management: aws.Provider  # registrations of the delegated administrator
    tooling: aws.Provider  # what runs in the delegated administrator account
    # Other Regions Security Hub's central configuration (and the Config aggregator) also covers; empty:
    # the home Region only (Security Hub linking mode NO_REGIONS).
    linked_regions: Sequence[str] = ()


class SecurityServices(pulumi.ComponentResource):
    """The organization's delegated security services, administered from security-tooling."""

    detector: aws.guardduty.Detector | None
    guard_duty_admin: aws.guardduty.OrganizationAdminAccount | None
    guard_duty_organization: aws.guardduty.OrganizationConfiguration | None
    security_hub_admin: aws.securityhub.OrganizationAdminAccount | None
    finding_aggregator: aws.securityhub.FindingAggregator | None
    security_hub_organization: aws.securityhub.OrganizationConfiguration | None
    configuration_policy: aws.securityhub.ConfigurationPolicy | None
    policy_association: aws.securityhub.ConfigurationPolicyAssociation | None
    analyzer_admin: aws.organizations.DelegatedAdministrator | None
    analyzer: aws.accessanalyzer.Analyzer | None
    config_admin: aws.organizations.DelegatedAdministrator | None
    config_role: aws.iam.Role | None
    config_aggregator: aws.cfg.ConfigurationAggregator | None
    # True when Security Hub runs without AWS Config: `plan` warns (deploy/security_services_check.py).
    controls_without_config: bool

    def __init__(self, name: str, args: SecurityServicesArgs, opts: pulumi.ResourceOptions | None = None
                 ) -> None:
        super().__init__("landingzone:security:SecurityServices", name, None, opts)
        self._name = name
        self._args = args
        self.detector = self.guard_duty_admin = self.guard_duty_organization = None
        self.security_hub_admin = self.finding_aggregator = self.security_hub_organization = None
        self.configuration_policy = self.policy_association = None
        self.analyzer_admin = self.analyzer = None
        self.config_admin = self.config_role = self.config_aggregator = None
        self.controls_without_config = controls_without_config(args.security_hub, args.aws_config)
        if args.guard_duty:
            self._guard_duty()
        if args.security_hub:
            self._security_hub()
        if args.access_analyzer:
            self._access_analyzer()
        if args.aws_config:
            self._config_aggregator()
        self.register_outputs({
            "detector_id": self.detector.id if self.detector else None,
            "analyzer_arn": self.analyzer.arn if self.analyzer else None,
            "configuration_policy_id": self.configuration_policy.id if self.configuration_policy else None,
            "config_aggregator_arn": self.config_aggregator.arn if self.config_aggregator else None,
        })

    def _opts(self, provider: aws.Provider, *, keep: bool = False,
              depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        """A child's options: its account's provider, its prerequisites, and for what must outlive a
        ``destroy`` (registrations, detector, analyzer, service-wide switches) protect + retain."""
        return pulumi.ResourceOptions(
            parent=self, provider=provider, depends_on=list(depends_on),
            protect=keep or None, retain_on_delete=keep or None,
        )

    def _guard_duty(self) -> None:
        name, args = self._name, self._args
        # Protection plans stay GuardDuty's defaults: the detector enables what CreateDetector enables
        # unasked (all but Runtime Monitoring), members get what the organization's feature settings say;
        # no OrganizationConfigurationFeature is declared (each plan bills per usage).
        self.detector = aws.guardduty.Detector(
            f"{name}-guardduty-detector", enable=True, opts=self._opts(args.tooling, keep=True)
        )
        self.guard_duty_admin = aws.guardduty.OrganizationAdminAccount(
            f"{name}-guardduty-admin", admin_account_id=args.tooling_account_id,
            opts=self._opts(args.management, keep=True, depends_on=[self.detector]),
        )
        # Must be called by the delegated administrator (UpdateOrganizationConfiguration takes its
        # detector); ALL also enrolls the accounts that exist today (GuardDuty User Guide,
        # set-guardduty-auto-enable-preferences.html).
        self.guard_duty_organization = aws.guardduty.OrganizationConfiguration(
            f"{name}-guardduty-organization", detector_id=self.detector.id,
            auto_enable_organization_members=GUARD_DUTY_AUTO_ENABLE,
            opts=self._opts(args.tooling, depends_on=[self.guard_duty_admin]),
        )

    def _security_hub(self) -> None:
        name, args = self._name, self._args
        self.security_hub_admin = aws.securityhub.OrganizationAdminAccount(
            f"{name}-securityhub-admin", admin_account_id=args.tooling_account_id,
            opts=self._opts(args.management, keep=True),
        )
        # NO_REGIONS: a home Region without linked Regions, allowed for central configuration (Security
        # Hub User Guide, aggregation-central-configuration.html; botocore CreateFindingAggregator).
        linked = [region for region in args.linked_regions if region != args.region]
        self.finding_aggregator = aws.securityhub.FindingAggregator(
            f"{name}-securityhub-home-region",
            linking_mode="SPECIFIED_REGIONS" if linked else "NO_REGIONS",
            specified_regions=linked or None,
            opts=self._opts(args.tooling, keep=True, depends_on=[self.security_hub_admin]),
        )
        # Deleting it would reset the organization to local configuration: kept like the switches above.
        self.security_hub_organization = aws.securityhub.OrganizationConfiguration(
            f"{name}-securityhub-organization", auto_enable=False, auto_enable_standards="NONE",
            organization_configuration=aws.securityhub.OrganizationConfigurationOrganizationConfigurationArgs(
                configuration_type=CENTRAL,
            ),
            opts=self._opts(args.tooling, keep=True, depends_on=[self.finding_aggregator]),
        )
        # Security Hub enabled with FSBP only; an empty disabled list enables every control of the
        # standard, and the new ones AWS adds to it.
        self.configuration_policy = aws.securityhub.ConfigurationPolicy(
            f"{name}-securityhub-policy", name=CONFIGURATION_POLICY_NAME,
            description="Security Hub CSPM on, AWS Foundational Security Best Practices only",
            configuration_policy=aws.securityhub.ConfigurationPolicyConfigurationPolicyArgs(
                service_enabled=True,
                enabled_standard_arns=[fsbp_standard_arn(args.region)],
                security_controls_configuration=(
                    aws.securityhub.ConfigurationPolicyConfigurationPolicySecurityControlsConfigurationArgs(
                        disabled_control_identifiers=[],
                    )
                ),
            ),
            opts=self._opts(args.tooling, depends_on=[self.security_hub_organization]),
        )
        # On the root: every account and OU, and each account that joins later, inherits it.
        self.policy_association = aws.securityhub.ConfigurationPolicyAssociation(
            f"{name}-securityhub-policy-root", target_id=args.root_id, policy_id=self.configuration_policy.id,
            opts=self._opts(args.tooling),
        )

    def _access_analyzer(self) -> None:
        name, args = self._name, self._args
        self.analyzer_admin = aws.organizations.DelegatedAdministrator(
            f"{name}-access-analyzer-admin", account_id=args.tooling_account_id,
            service_principal=ACCESS_ANALYZER_PRINCIPAL, opts=self._opts(args.management, keep=True),
        )
        # An ORGANIZATION analyzer made through the API in a member account needs the registration
        # first (IAM User Guide, access-analyzer-delegated-administrator-add.html).
        self.analyzer = aws.accessanalyzer.Analyzer(
            f"{name}-access-analyzer", analyzer_name=ANALYZER_NAME, type=ANALYZER_TYPE,
            opts=self._opts(args.tooling, keep=True, depends_on=[self.analyzer_admin]),
        )

    def _config_aggregator(self) -> None:
        name, args = self._name, self._args
        self.config_admin = aws.organizations.DelegatedAdministrator(
            f"{name}-config-admin", account_id=args.tooling_account_id, service_principal=CONFIG_PRINCIPAL,
            opts=self._opts(args.management, keep=True),
        )
        self.config_role = aws.iam.Role(
            f"{name}-config-aggregator-role", name=f"{CONFIG_AGGREGATOR_NAME}-config-aggregator",
            assume_role_policy=config_role_trust(), opts=self._opts(args.tooling),
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-config-aggregator-policy", role=self.config_role.name,
            policy_arn=CONFIG_ORGANIZATIONS_POLICY, opts=self._opts(args.tooling),
        )
        regions = [args.region, *(r for r in args.linked_regions if r != args.region)]
        self.config_aggregator = aws.cfg.ConfigurationAggregator(
            f"{name}-config-aggregator", name=CONFIG_AGGREGATOR_NAME,
            organization_aggregation_source=aws.cfg.ConfigurationAggregatorOrganizationAggregationSourceArgs(
                role_arn=self.config_role.arn, all_regions=False, regions=regions,
            ),
            opts=self._opts(args.tooling, keep=True, depends_on=[self.config_admin, attachment]),
        )
