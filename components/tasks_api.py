"""TasksApi: the HTTP API in front of the Tasks Service, guarded by a Cognito JWT authorizer.

- One ``$default`` route (the service's REST paths ``/api/task``, ``/api/tasks`` ... all go through it)
  requiring a JWT whose issuer is the environment's user pool and whose audience is its web client id,
  read from the ``Authorization`` header.
- One public route, ``GET <health check path>`` (``/q/health/live``), to the same integration: the
  liveness answer holds no data, and it is the only way to see the service's health from outside when
  the ALB is internal (the deploy driver's smoke check uses it, exported as ``health_url``).
- CORS for the frontend's origin (the seed's values); API Gateway answers the browsers'
  preflight requests itself, without the authorizer.
- ``$default`` stage, deployed automatically, throttled, with JSON access logs in a log group encrypted
  with the environment's logs key, kept ``api.accessLogRetentionDays`` (7 days; a year in production).
- Integration by load balancer mode:
  - ``private``: a VPC link in the private subnets with its own security group
    (``vpc_link_security_group``); the stack's table of links (components/tasks_links.py) lets that
    group, and nothing else, reach the ALB on the listener port, and the integration waits for those
    rules (``network_ready``). The integration URI is the listener's ARN (what AWS requires of an ALB
    integration). With HTTPS, API Gateway verifies the certificate's name.
  - ``public``: HTTP proxy to the internet-facing ALB's URL, forwarding the request path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.app_contract import TASKS_IMAGE
from components.settings.tasks_service import ApiPlan, LoadBalancerMode

IDENTITY_SOURCE = "$request.header.Authorization"
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "path": "$context.path",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationStatus": "$context.integrationStatus",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integration.error",
        "authorizerError": "$context.authorizer.error",
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class TasksApiArgs:
    settings: ApiPlan
    mode: LoadBalancerMode
    issuer_url: pulumi.Input[str]
    audience: pulumi.Input[str]  # the web client id of the environment's user pool
    frontend_origin: pulumi.Input[str]  # https://<branch>.<default domain>, no trailing slash
    listener_arn: pulumi.Input[str]
    listener_port: int
    alb_url: pulumi.Input[str]  # public mode: where the HTTP proxy integration sends requests
    vpc_id: pulumi.Input[str]
    vpc_link_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # the ALB's (private) subnets
    logs_key_arn: pulumi.Input[str]  # the environment's logs key (components/workload_security.py)
    health_check_path: str = TASKS_IMAGE.health_check_path  # served without a token (module docstring)
    tls_server_name: str | None = None  # the certificate's host name when the listener is HTTPS
    # The rules of the VPC link's links (components/tasks_links.py), declared after this component.
    network_ready: pulumi.Input[Sequence[pulumi.Resource]] = field(default_factory=tuple)


class TasksApi(pulumi.ComponentResource):
    """HTTP API, JWT authorizer, integration (via VPC link in private mode), route and stage."""

    api: aws.apigatewayv2.Api
    authorizer: aws.apigatewayv2.Authorizer
    vpc_link_security_group: aws.ec2.SecurityGroup | None  # private mode: the group the ALB admits
    vpc_link: aws.apigatewayv2.VpcLink | None
    integration: aws.apigatewayv2.Integration
    route: aws.apigatewayv2.Route
    health_route: aws.apigatewayv2.Route
    log_group: aws.cloudwatch.LogGroup
    stage: aws.apigatewayv2.Stage
    api_url: pulumi.Output[str]
    health_url: pulumi.Output[str]

    def __init__(self, name: str, args: TasksApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:tasks:TasksApi", name, None, opts)
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.api = aws.apigatewayv2.Api(
            name,
            protocol_type="HTTP",
            description=f"Tasks Service API ({name})",
            cors_configuration=aws.apigatewayv2.ApiCorsConfigurationArgs(
                allow_origins=pulumi.Output.from_input(args.frontend_origin).apply(
                    lambda origin: list(dict.fromkeys([origin, *settings.additional_cors_origins]))
                ),
                allow_credentials=True,
                allow_headers=list(settings.cors_allow_headers),
                allow_methods=list(settings.cors_allow_methods),
                max_age=settings.cors_max_age,
            ),
            opts=child,
        )
        self.authorizer = aws.apigatewayv2.Authorizer(
            f"{name}-jwt",
            api_id=self.api.id,
            authorizer_type="JWT",
            identity_sources=[IDENTITY_SOURCE],
            jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
                issuer=args.issuer_url, audiences=[args.audience]
            ),
            opts=child,
        )

        self.vpc_link_security_group = None
        self.vpc_link = None
        if args.mode == "private":
            self.integration = self._private_integration(name, args, child)
        else:
            self.integration = aws.apigatewayv2.Integration(
                f"{name}-alb",
                api_id=self.api.id,
                integration_type="HTTP_PROXY",
                integration_method="ANY",
                integration_uri=args.alb_url,
                # A URL integration does not append the caller's path by itself.
                request_parameters={"overwrite:path": "$request.path"},
                payload_format_version="1.0",
                opts=child,
            )

        target = pulumi.Output.concat("integrations/", self.integration.id)
        self.route = aws.apigatewayv2.Route(
            f"{name}-default",
            api_id=self.api.id,
            route_key="$default",
            target=target,
            authorization_type="JWT",
            authorizer_id=self.authorizer.id,
            opts=child,
        )
        self.health_route = aws.apigatewayv2.Route(
            f"{name}-health",
            api_id=self.api.id,
            route_key=f"GET {args.health_check_path}",
            target=target,
            authorization_type="NONE",
            opts=child,
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=f"/aws/apigateway/{name}",
            retention_in_days=settings.access_log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-default",
            api_id=self.api.id,
            name="$default",
            auto_deploy=True,
            access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
                destination_arn=self.log_group.arn, format=ACCESS_LOG_FORMAT
            ),
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                throttling_burst_limit=settings.throttling_burst_limit,
                throttling_rate_limit=settings.throttling_rate_limit,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.route, self.health_route]),
        )
        self.api_url = self.api.api_endpoint
        self.health_url = pulumi.Output.concat(self.api_url, args.health_check_path)
        self.register_outputs({"api_url": self.api_url, "health_url": self.health_url})

    def _private_integration(
        self, name: str, args: TasksApiArgs, child: pulumi.ResourceOptions
    ) -> aws.apigatewayv2.Integration:
        group = aws.ec2.SecurityGroup(
            f"{name}-vpc-link",
            description=f"VPC link of {name}: to the internal ALB only",
            vpc_id=args.vpc_id,
            opts=child,
        )
        self.vpc_link_security_group = group
        self.vpc_link = aws.apigatewayv2.VpcLink(
            f"{name}-vpc-link",
            name=f"{name}-vpc-link",
            subnet_ids=args.vpc_link_subnet_ids,
            security_group_ids=[group.id],
            opts=child,
        )
        return aws.apigatewayv2.Integration(
            f"{name}-alb",
            api_id=self.api.id,
            integration_type="HTTP_PROXY",
            integration_method="ANY",
            connection_type="VPC_LINK",
            connection_id=self.vpc_link.id,
            integration_uri=args.listener_arn,
            tls_config=(
                aws.apigatewayv2.IntegrationTlsConfigArgs(server_name_to_verify=args.tls_server_name)
                if args.tls_server_name
                else None
            ),
            payload_format_version="1.0",
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.network_ready),
        )
