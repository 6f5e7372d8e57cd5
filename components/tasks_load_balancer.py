"""TasksLoadBalancer: the application load balancer in front of the Tasks Service's Fargate tasks.

Two modes (config ``loadBalancer.mode``):

- ``private`` (default): an internal ALB in the private subnets. Nothing outside the VPC can reach
  it; the HTTP API reaches it through its VPC link, whose security group is the only one the ALB's
  security group admits (components/tasks_links.py). The JWT authorizer of the HTTP API therefore
  cannot be bypassed.
- ``public``: an internet-facing ALB in the public subnets, open to the internet on its listener
  ports, as in the seed's later design. The HTTP API forwards to its URL; anyone can also call the ALB
  directly, so the service's own token validation (``QUARKUS_OIDC_AUTH_SERVER_URL``) is then the only
  guard.

With ``certificateArn`` (and ``domainName``, the name on the certificate) the ALB listens with HTTPS
on 443 and redirects HTTP on 80 to it; otherwise it forwards plain HTTP on 80.

The ALB owns its security group (``security_group``) and adds no rule to it: who may reach it (the VPC
link, or the internet in public mode, on ``listener_ports``) and where it may send (the tasks) is the
stack's table of links, components/tasks_links.py.

Access logs go to the environment's access-log bucket (components/workload_security.py), under its
prefix. ELB checks that it may write there when the attribute is set, so the load balancer waits for
the bucket's policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.settings.tasks_service import LoadBalancerPlan

HTTP_PORT = 80
HTTPS_PORT = 443
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# The seed's health check of the service.
HEALTH_CHECK = {"healthy_threshold": 3, "unhealthy_threshold": 2, "interval": 15, "timeout": 10}
DEREGISTRATION_DELAY_SECONDS = 30


@dataclass(frozen=True)
class TasksLoadBalancerArgs:
    settings: LoadBalancerPlan
    vpc_id: pulumi.Input[str]
    # Private subnets in private mode, public subnets in public mode (see Network).
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    container_port: int
    health_check_path: str
    # Where the access logs go (components/workload_security.AccessLogBucket), and what must exist first.
    access_logs_bucket: pulumi.Input[str]
    access_logs_prefix: str
    access_logs_ready: Sequence[pulumi.Resource] = field(default_factory=tuple)


class TasksLoadBalancer(pulumi.ComponentResource):
    """ALB, its security group, the target group of the tasks, and the listener(s)."""

    security_group: aws.ec2.SecurityGroup
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    listener: aws.lb.Listener  # the listener that forwards to the tasks (HTTPS when a certificate is set)
    redirect_listener: aws.lb.Listener | None  # HTTP -> HTTPS, only with a certificate
    internal: bool
    listener_port: int
    listener_ports: tuple[int, ...]  # every port it listens on: the internet's ports in public mode
    listener_protocol: str
    dns_name: pulumi.Output[str]
    url: pulumi.Output[str]  # scheme://host the listener answers on (the domain name with HTTPS)

    def __init__(
        self, name: str, args: TasksLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landingzone:tasks:TasksLoadBalancer", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        self.internal = settings.mode == "private"
        https = settings.certificate_arn is not None
        self.listener_port = HTTPS_PORT if https else HTTP_PORT
        self.listener_protocol = "HTTPS" if https else "HTTP"
        self.listener_ports = (HTTP_PORT, HTTPS_PORT) if https else (HTTP_PORT,)

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-alb",
            description=f"ALB of {name}: {'internal, from the VPC link only' if self.internal else 'public'}",
            vpc_id=args.vpc_id,
            # No inline rules: the provider then removes AWS's default allow-all egress, and every rule
            # is a separate resource that names its peer.
            opts=child,
        )

        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=self.internal,
            subnets=args.subnet_ids,
            security_groups=[self.security_group.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=settings.deletion_protection,
            idle_timeout=settings.idle_timeout_seconds,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=args.access_logs_bucket, prefix=args.access_logs_prefix, enabled=True
            ),
            # Production: `pulumi destroy` or a replacement cannot remove it unnoticed either.
            opts=pulumi.ResourceOptions(
                parent=self, protect=settings.protect, depends_on=list(args.access_logs_ready)
            ),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            port=args.container_port,
            protocol="HTTP",
            target_type="ip",  # awsvpc tasks register by IP
            vpc_id=args.vpc_id,
            deregistration_delay=DEREGISTRATION_DELAY_SECONDS,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                path=args.health_check_path,
                protocol="HTTP",
                port="traffic-port",
                matcher="200",
                **HEALTH_CHECK,
            ),
            opts=child,
        )
        forward = [aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.target_group.arn)]
        self.redirect_listener = None
        if https:
            self.listener = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=self.load_balancer.arn,
                port=HTTPS_PORT,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=settings.certificate_arn,
                default_actions=forward,
                opts=child,
            )
            self.redirect_listener = aws.lb.Listener(
                f"{name}-http-redirect",
                load_balancer_arn=self.load_balancer.arn,
                port=HTTP_PORT,
                protocol="HTTP",
                default_actions=[
                    aws.lb.ListenerDefaultActionArgs(
                        type="redirect",
                        redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                            protocol="HTTPS", port=str(HTTPS_PORT), status_code="HTTP_301"
                        ),
                    )
                ],
                opts=child,
            )
        else:
            self.listener = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=self.load_balancer.arn,
                port=HTTP_PORT,
                protocol="HTTP",
                default_actions=forward,
                opts=child,
            )

        self.dns_name = self.load_balancer.dns_name
        self.url = (
            pulumi.Output.from_input(f"https://{settings.domain_name}")
            if https
            else pulumi.Output.concat("http://", self.load_balancer.dns_name)
        )
        self.register_outputs(
            {"dns_name": self.dns_name, "listener_arn": self.listener.arn, "url": self.url}
        )
