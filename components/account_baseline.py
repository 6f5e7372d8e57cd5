"""AccountBaseline: S3 Block Public Access and EBS encryption by default in every member account, now and
later, with no per-account code (stack ``security``, management account).

- S3 Block Public Access: an AWS Organizations S3 policy (type ``S3_POLICY``, iam_documents/s3_policy.py)
  attached to the root, so every account of the organization, current and new, gets all four settings.
  The organization must have the S3_POLICY type enabled (the org stack does).
- EBS encryption by default: no CloudFormation resource type and no declarative-policy (EC2) attribute
  sets it (cfn-lint 1.58's bundled resource schemas; Organizations User Guide, "Declarative policy syntax
  and examples", orgs_manage_policies_declarative_syntax.html, lists VPC and image/snapshot block public
  access, serial console, allowed images and instance metadata defaults only). So a service-managed
  StackSet deploys components/templates/ebs_encryption_by_default.yaml, auto-deployed to the root: every
  member account, and each account that joins later, gets a stack per Region of ``regions``.
  Service-managed StackSets never deploy to the management account itself, even though it is in the
  root (pulumi_aws cloudformation/stack_set_instance.py, ``deployment_targets``): it runs no workloads
  here and keeps the setting as it is.
  Service-managed StackSets need trusted access with Organizations: the driver activates it before the
  stack's ``up`` (deploy/stackset_access.py).

- AWS Config recording (only with ``aws_config``): a second service-managed StackSet deploys
  components/templates/config_recorder.yaml the same way (components/config_recording.py): a
  configuration recorder, a delivery channel to the log archive and the recorder's role in every member
  account and Region.

Everything is protected and retained on delete: a ``destroy`` leaves the baseline in place.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.config_recording import (
    CONFIG_CAPABILITIES,
    CONFIG_STACK_SET_NAME,
    config_recorder_template,
    config_stack_set_parameters,
)
from iam_documents.s3_policy import S3_POLICY_TYPE, block_public_access_content

TEMPLATE_FILE = Path(__file__).resolve().parent / "templates" / "ebs_encryption_by_default.yaml"
# TemplateBody of CreateStackSet, inline (pulumi_aws cloudformation/stack_set.py, ``template_body``).
TEMPLATE_BODY_MAX_BYTES = 51_200
S3_POLICY_NAME = "landing-zone-s3-block-public-access"
STACK_SET_NAME = "landing-zone-ebs-encryption-by-default"
SERVICE_MANAGED = "SERVICE_MANAGED"
CALL_AS_SELF = "SELF"
# The template creates an IAM role without a fixed name (CreateStackSet Capabilities, CAPABILITY_IAM).
CAPABILITIES = ("CAPABILITY_IAM",)


@functools.cache
def ebs_encryption_template() -> str:
    """The StackSet's template body, as shipped (validated with cfn-lint in tests/test_account_baseline)."""
    body = TEMPLATE_FILE.read_text(encoding="utf-8")
    if len(body.encode("utf-8")) > TEMPLATE_BODY_MAX_BYTES:
        raise ValueError(f"{TEMPLATE_FILE.name} exceeds CloudFormation's {TEMPLATE_BODY_MAX_BYTES} bytes")
    return body


@dataclass(frozen=True)
class AccountBaselineArgs:
    root_id: pulumi.Input[str]  # the organization's root (r-...): both parts target it
    regions: Sequence[str]  # where EBS encryption by default is turned on
    s3_block_public_access: bool
    ebs_encryption_by_default: bool
    # AWS Config recording in every member account (tooling.awsConfig), delivering to the log archive.
    aws_config: bool = False
    log_archive_bucket_name: pulumi.Input[str] | None = None
    log_archive_key_arn: pulumi.Input[str] | None = None
    home_region: str | None = None  # records the global IAM types; default: the first of ``regions``
    # What the recorders need to exist first (the log archive's bucket policy and key).
    log_archive_ready: Sequence[pulumi.Resource] = ()


class AccountBaseline(pulumi.ComponentResource):
    """The organization-wide account baseline; ``opts`` carry the management account's provider."""

    s3_policy: aws.organizations.Policy | None
    s3_policy_attachment: aws.organizations.PolicyAttachment | None
    stack_set: aws.cloudformation.StackSet | None
    stack_set_instances: dict[str, aws.cloudformation.StackSetInstance]
    config_stack_set: aws.cloudformation.StackSet | None
    config_stack_set_instances: dict[str, aws.cloudformation.StackSetInstance]

    def __init__(
        self, name: str, args: AccountBaselineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landingzone:security:AccountBaseline", name, None, opts)
        kept = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)

        self.s3_policy = self.s3_policy_attachment = None
        if args.s3_block_public_access:
            self.s3_policy = aws.organizations.Policy(
                f"{name}-s3-block-public-access",
                name=S3_POLICY_NAME,
                description="S3 Block Public Access, all four settings, in every account (landing zone)",
                type=S3_POLICY_TYPE,
                content=block_public_access_content(),
                opts=kept,
            )
            self.s3_policy_attachment = aws.organizations.PolicyAttachment(
                f"{name}-s3-block-public-access-root",
                policy_id=self.s3_policy.id,
                target_id=args.root_id,
                opts=kept,
            )

        self.stack_set = None
        self.stack_set_instances = {}
        if args.ebs_encryption_by_default:
            self.stack_set, self.stack_set_instances = self._service_managed_stack_set(
                f"{name}-ebs-encryption", args, name=STACK_SET_NAME,
                description="EBS encryption by default in every member account and Region (landing zone)",
                template=ebs_encryption_template(), capabilities=CAPABILITIES,
            )

        self.config_stack_set = None
        self.config_stack_set_instances = {}
        if args.aws_config:
            if args.log_archive_bucket_name is None or args.log_archive_key_arn is None:
                raise ValueError("aws_config needs the log archive's bucket name and key ARN")
            # The global IAM types are recorded once: in the home Region, else the first baseline Region.
            home = next((r for r in args.regions if r == args.home_region), args.regions[0])
            self.config_stack_set, self.config_stack_set_instances = self._service_managed_stack_set(
                f"{name}-config-recording", args, name=CONFIG_STACK_SET_NAME,
                description="AWS Config recording into the log archive, every member account and Region "
                            "(landing zone)",
                template=config_recorder_template(), capabilities=CONFIG_CAPABILITIES,
                parameters=config_stack_set_parameters(
                    args.log_archive_bucket_name, args.log_archive_key_arn, home
                ),
                depends_on=args.log_archive_ready,
            )

        self.register_outputs({
            "s3_policy_id": self.s3_policy.id if self.s3_policy else None,
            "stack_set_name": self.stack_set.name if self.stack_set else None,
            "config_stack_set_name": self.config_stack_set.name if self.config_stack_set else None,
        })

    def _service_managed_stack_set(
        self, resource_name: str, args: AccountBaselineArgs, *, name: str, description: str, template: str,
        capabilities: Sequence[str], parameters: Mapping[str, pulumi.Input[str]] | None = None,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> tuple[aws.cloudformation.StackSet, dict[str, aws.cloudformation.StackSetInstance]]:
        """A service-managed StackSet auto-deployed to the root, one instance per Region: every member
        account (never the management account), new ones included. Protected and retained."""
        kept = pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True)
        stack_set = aws.cloudformation.StackSet(
            resource_name,
            name=name,
            description=description,
            permission_model=SERVICE_MANAGED,
            call_as=CALL_AS_SELF,
            auto_deployment=aws.cloudformation.StackSetAutoDeploymentArgs(
                enabled=True,
                # An account that leaves the organization keeps none of these stacks (EBS encryption by
                # default stays on: the template leaves it on at delete).
                retain_stacks_on_account_removal=False,
            ),
            managed_execution=aws.cloudformation.StackSetManagedExecutionArgs(active=True),
            capabilities=list(capabilities),
            template_body=template,
            parameters=dict(parameters) if parameters else None,
            # AWS fills in the service-linked administration role of a service-managed StackSet; the
            # provider read it back as a change (hashicorp/terraform-provider-aws#23464).
            opts=pulumi.ResourceOptions.merge(
                kept, pulumi.ResourceOptions(ignore_changes=["administrationRoleArn"],
                                             depends_on=list(depends_on))
            ),
        )
        instances = {
            region: aws.cloudformation.StackSetInstance(
                f"{resource_name}-{region}",
                stack_set_name=stack_set.name,
                call_as=CALL_AS_SELF,
                stack_set_instance_region=region,
                # The root: every member account (never the management account), new ones included.
                deployment_targets=aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
                    organizational_unit_ids=[args.root_id],
                ),
                opts=kept,
            )
            for region in args.regions
        }
        return stack_set, instances
