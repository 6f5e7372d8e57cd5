"""Network: the environment's VPC in its workload account (awsx, two availability zones).

Each AZ gets three subnets:

- public: the internet gateway's route; the internet-facing ALB (public mode), the NAT gateways and,
  without NAT, the Fargate tasks;
- private: the internal ALB (private mode), the HTTP API's VPC link and, with NAT, the Fargate tasks;
- isolated: no route out of the VPC at all; the Aurora cluster.

How the tasks reach Docker Hub, Secrets Manager and CloudWatch Logs
--------------------------------------------------------------------
The image (``hiperium/hiperium-city-tasks-api``) is pulled from Docker Hub, which no VPC endpoint
reaches, and the service validates tokens against Cognito's public JWKS URL. So the tasks need a route
to the internet in every mode; VPC endpoints alone would not do, and interface endpoints for Secrets
Manager and Logs would add a cost per AZ without removing that need. Therefore:

- ``natGateways: single | per-az``: tasks run in the private subnets without a public IP and leave
  through the NAT gateway(s) (``per-az`` keeps each AZ working when another AZ fails);
- ``natGateways: none`` (the cheap default outside production): tasks run in the public subnets with a
  public IP. They are not reachable from the internet: their security group admits only the ALB's
  security group on the container port (see components/tasks_service.py); egress is HTTPS and the
  database port only.

The awsx ``Vpc`` is a remote component: it gets two explicit providers (see :func:`vpc_options`), and
only its outputs (plain ids) are used here.

Flow logs
---------
The VPC's flow log goes to its own CloudWatch log group, encrypted with the environment's logs key
and kept ``logging.flowLogs.retentionDays``. By default it records only REJECTed traffic (what security
groups refused: the first thing an investigation looks for, and a small volume); ``ALL`` records every
flow, at $0.50 per GB ingested. VPC Flow Logs writes through a role it assumes, trusted only for this
account's flow logs and allowed only to write streams of that log group
(https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components.settings.tasks_service import NatMode
from components.settings.workload_logging import FlowLogPlan

AVAILABILITY_ZONES = 2
_NAT_STRATEGIES = {
    "none": awsx.ec2.NatGatewayStrategy.NONE,
    "single": awsx.ec2.NatGatewayStrategy.SINGLE,
    "per-az": awsx.ec2.NatGatewayStrategy.ONE_PER_AZ,
}
FLOW_LOG_AGGREGATION_SECONDS = 600  # CreateFlowLogs MaxAggregationInterval: 60 or 600 (the default)


def subnet_masks(cidr_block: str) -> dict[str, int]:
    """Per-AZ subnet sizes for a VPC: a quarter of it private, a sixteenth each public and isolated.

    With two AZs three eighths of the range stay free for later subnets. A /16 gives /18 private
    subnets (room for many tasks), /20 public and isolated ones; a /22 (the smallest allowed) /26.
    """
    prefix = int(cidr_block.split("/")[1])
    return {"private": prefix + 2, "public": prefix + 4, "isolated": prefix + 4}


@dataclass(frozen=True)
class NetworkArgs:
    cidr_block: str
    nat_gateways: NatMode
    awsx_provider: awsx.Provider  # the account's awsx provider (components/providers.awsx_provider)
    flow_logs: FlowLogPlan
    logs_key_arn: pulumi.Input[str]  # the environment's logs key (components/workload_security.py)
    region: str
    account_id: pulumi.Input[str]  # the workload account: the flow log role trusts its flow logs only
    tags: dict[str, str] | None = None


def vpc_options(
    network: pulumi.Resource, awsx_provider: awsx.Provider, aws_provider: pulumi.ProviderResource | None
) -> pulumi.ResourceOptions:
    """The awsx VPC's options: ``provider=`` the account's awsx provider and ``providers={"aws": ...}``.

    With default providers disabled the engine refuses a remote component without an explicit provider
    of its own package; the aws entry alone is not enough (pulumi/pulumi#13071). The SDK sends
    ``provider=`` as the request's ``provider`` field because its package is the component's
    (pulumi/runtime/resource.py, ``prepare_resource``); the aws provider reaches the VPC's children
    through the request's ``providers`` map.
    """
    providers = {"aws": aws_provider} if aws_provider is not None else None
    return pulumi.ResourceOptions(parent=network, provider=awsx_provider, providers=providers)


class Network(pulumi.ComponentResource):
    """The VPC with public, private and isolated subnets over two AZs."""

    vpc: awsx.ec2.Vpc
    vpc_id: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[Sequence[str]]
    private_subnet_ids: pulumi.Output[Sequence[str]]
    isolated_subnet_ids: pulumi.Output[Sequence[str]]
    nat_gateways: NatMode
    # Where the Fargate tasks run, and whether they need a public IP to reach the internet.
    task_subnet_ids: pulumi.Output[Sequence[str]]
    tasks_need_public_ip: bool
    flow_log_group: aws.cloudwatch.LogGroup
    flow_log_role: aws.iam.Role
    flow_log: aws.ec2.FlowLog

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:network:Network", name, None, opts)
        masks = subnet_masks(args.cidr_block)
        self.vpc = awsx.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            number_of_availability_zones=AVAILABILITY_ZONES,
            subnet_strategy=awsx.ec2.SubnetAllocationStrategy.AUTO,
            subnet_specs=[
                awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PUBLIC, cidr_mask=masks["public"]),
                awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.PRIVATE, cidr_mask=masks["private"]),
                awsx.ec2.SubnetSpecArgs(type=awsx.ec2.SubnetType.ISOLATED, cidr_mask=masks["isolated"]),
            ],
            nat_gateways=awsx.ec2.NatGatewayConfigurationArgs(strategy=_NAT_STRATEGIES[args.nat_gateways]),
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={**(args.tags or {}), "Name": name},
            # The aws provider comes from this component's own options (providers={"aws": ...}).
            opts=vpc_options(self, args.awsx_provider, self.get_provider("aws:ec2/vpc:Vpc")),
        )
        self.vpc_id = self.vpc.vpc_id
        self.public_subnet_ids = self.vpc.public_subnet_ids
        self.private_subnet_ids = self.vpc.private_subnet_ids
        self.isolated_subnet_ids = self.vpc.isolated_subnet_ids
        self.nat_gateways = args.nat_gateways
        self.tasks_need_public_ip = args.nat_gateways == "none"
        self.task_subnet_ids = (
            self.public_subnet_ids if self.tasks_need_public_ip else self.private_subnet_ids
        )
        self._flow_log(name, args)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "isolated_subnet_ids": self.isolated_subnet_ids,
            }
        )

    def _flow_log(self, name: str, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.flow_log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/aws/vpc/flow-logs/{name}",
            retention_in_days=args.flow_logs.retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        self.flow_log_role = aws.iam.Role(
            f"{name}-flow-logs",
            description=f"VPC Flow Logs writes the flow log of {name} to its log group",
            assume_role_policy=flow_log_trust(args.region, args.account_id),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=self.flow_log_role.id,
            policy=self.flow_log_group.arn.apply(lambda arn: json.dumps(flow_log_policy(arn))),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc_id,
            traffic_type=args.flow_logs.traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=self.flow_log_role.arn,
            max_aggregation_interval=FLOW_LOG_AGGREGATION_SECONDS,
            tags={"Name": f"{name}-flow-log"},
            # The role must be able to write before the first delivery.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )


def flow_log_trust(region: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """VPC Flow Logs may assume the role only for this account's flow logs (confused-deputy guard)."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {
                    "aws:SourceArn": pulumi.Output.concat(
                        "arn:aws:ec2:", region, ":", account_id, ":vpc-flow-log/*"
                    )
                },
            },
        }],
    })


def flow_log_policy(log_group_arn: str) -> dict[str, object]:
    """Write the flow log's streams in its one log group. DescribeLogGroups has no resource-level
    permission (Service Authorization Reference, CloudWatch Logs), so it keeps ``*``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteFlowLogStreams",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                # The group as IAM names it with and without the ":*" that covers its streams.
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            },
            {"Sid": "FindLogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
        ],
    }
