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

Everything is protected and retained on delete: a ``destroy`` leaves the baseline in place.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

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


class AccountBaseline(pulumi.ComponentResource):
    """The organization-wide account baseline; ``opts`` carry the management account's provider."""

    s3_policy: aws.organizations.Policy | None
    s3_policy_attachment: aws.organizations.PolicyAttachment | None
    stack_set: aws.cloudformation.StackSet | None
    stack_set_instances: dict[str, aws.cloudformation.StackSetInstance]

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
            self.stack_set = aws.cloudformation.StackSet(
                f"{name}-ebs-encryption",
                name=STACK_SET_NAME,
                description="EBS encryption by default in every member account and Region (landing zone)",
                permission_model=SERVICE_MANAGED,
                call_as=CALL_AS_SELF,
                auto_deployment=aws.cloudformation.StackSetAutoDeploymentArgs(
                    enabled=True,
                    # An account that leaves the organization keeps nothing of ours but the setting.
                    retain_stacks_on_account_removal=False,
                ),
                managed_execution=aws.cloudformation.StackSetManagedExecutionArgs(active=True),
                capabilities=list(CAPABILITIES),
                template_body=ebs_encryption_template(),
                # AWS fills in the service-linked administration role of a service-managed StackSet; the
                # provider read it back as a change (hashicorp/terraform-provider-aws#23464).
                opts=pulumi.ResourceOptions.merge(
                    kept, pulumi.ResourceOptions(ignore_changes=["administrationRoleArn"])
                ),
            )
            for region in args.regions:
                self.stack_set_instances[region] = aws.cloudformation.StackSetInstance(
                    f"{name}-ebs-encryption-{region}",
                    stack_set_name=self.stack_set.name,
                    call_as=CALL_AS_SELF,
                    stack_set_instance_region=region,
                    # The root: every member account (never the management account), new ones included.
                    deployment_targets=aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
                        organizational_unit_ids=[args.root_id],
                    ),
                    opts=kept,
                )

        self.register_outputs({
            "s3_policy_id": self.s3_policy.id if self.s3_policy else None,
            "stack_set_name": self.stack_set.name if self.stack_set else None,
        })
