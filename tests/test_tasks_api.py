"""TasksApi: HTTP API with a JWT authorizer, CORS, access logs; VPC link (private) or HTTP proxy (public)."""

from __future__ import annotations

import json
from typing import Any

from components.tasks_api import TasksApi, TasksApiArgs
from deploy.simulate import Recording
from tests.tasks_support import (
    LOGS_KEY,
    SG,
    assert_all_on_provider,
    opts,
    plan,
    rule_view,
    run_with_provider,
)

API = "aws:apigatewayv2/api:Api"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
STAGE = "aws:apigatewayv2/stage:Stage"
VPC_LINK = "aws:apigatewayv2/vpcLink:VpcLink"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1"
CLIENT_ID = "4example0client0id00000000"
ORIGIN = "https://pre.d1exampleapp.amplifyapp.com"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:222222222222:listener/app/pre-tasks-alb/1/2"
ALB_URL = "http://pre-tasks-alb-123.us-east-1.elb.amazonaws.com"
PRIVATE_SUBNETS = ["subnet-private-a", "subnet-private-b"]


def _run(
    raw: dict[str, Any] | None = None, *, mode: str = "private", port: int = 80, tls: str | None = None
) -> Recording:
    settings = plan(raw).api

    def program(provider):
        api = TasksApi(
            "pre-tasks-api",
            TasksApiArgs(
                settings=settings,
                mode=mode,  # type: ignore[arg-type]
                issuer_url=ISSUER,
                audience=CLIENT_ID,
                frontend_origin=ORIGIN,
                listener_arn=LISTENER,
                listener_port=port,
                alb_url=ALB_URL,
                vpc_id="vpc-1",
                vpc_link_subnet_ids=PRIVATE_SUBNETS,
                tls_server_name=tls,
                logs_key_arn=LOGS_KEY,
            ),
            opts(provider),
        )
        return {"api_url": api.api_url}

    return run_with_provider(program)


def test_jwt_authorizer_is_bound_to_the_issuer_and_the_web_client() -> None:
    recording = _run()
    authorizer = recording.one(AUTHORIZER).inputs
    assert authorizer["authorizerType"] == "JWT"
    assert authorizer["identitySources"] == ["$request.header.Authorization"]
    assert authorizer["jwtConfiguration"] == {"issuer": ISSUER, "audiences": [CLIENT_ID]}
    assert authorizer["apiId"] == recording.one(API).id


def test_default_route_requires_the_jwt_and_targets_the_integration() -> None:
    recording = _run()
    routes = {r.inputs["routeKey"]: r.inputs for r in recording.of_type(ROUTE)}
    route = routes["$default"]
    assert route["authorizationType"] == "JWT"
    assert route["authorizerId"] == recording.one(AUTHORIZER).id
    assert route["target"] == f"integrations/{recording.one(INTEGRATION).id}"
    # The only route without a token is the liveness probe, GET only, for the smoke check.
    assert set(routes) == {"$default", "GET /q/health/live"}
    health = routes["GET /q/health/live"]
    assert health["authorizationType"] == "NONE" and "authorizerId" not in health
    assert health["target"] == route["target"]


def test_cors_allows_the_frontend_origin_with_the_seed_values() -> None:
    api = _run().one(API).inputs
    assert api["protocolType"] == "HTTP"
    assert api["corsConfiguration"] == {
        "allowOrigins": [ORIGIN],
        "allowCredentials": True,
        "allowHeaders": ["Content-Type", "Authorization", "Accept"],
        "allowMethods": ["GET", "POST", "PUT", "DELETE"],
        "maxAge": 86400,
    }
    extra = _run({"api": {"additionalCorsOrigins": ["http://localhost:8100"]}}).one(API).inputs
    assert extra["corsConfiguration"]["allowOrigins"] == [ORIGIN, "http://localhost:8100"]


def test_default_stage_deploys_automatically_and_logs_access_for_seven_days() -> None:
    recording = _run()
    stage = recording.one(STAGE).inputs
    assert stage["name"] == "$default"
    assert stage["autoDeploy"] is True
    group = recording.one(LOG_GROUP)
    assert group.inputs["retentionInDays"] == 7
    assert stage["accessLogSettings"]["destinationArn"] == group.outputs["arn"]
    assert "$context.requestId" in json.loads(stage["accessLogSettings"]["format"]).values()
    assert stage["defaultRouteSettings"] == {"throttlingBurstLimit": 200, "throttlingRateLimit": 100.0}
    assert recording.outputs["api_url"] == recording.one(API).outputs["apiEndpoint"]
    assert_all_on_provider(recording)


def test_private_mode_integrates_through_a_vpc_link_to_the_listener() -> None:
    recording = _run()
    link = recording.one(VPC_LINK).inputs
    assert link["subnetIds"] == PRIVATE_SUBNETS
    link_group = recording.one(SG, "pre-tasks-api-vpc-link")
    assert link["securityGroupIds"] == [link_group.id]
    integration = recording.one(INTEGRATION).inputs
    assert integration["integrationType"] == "HTTP_PROXY"
    assert integration["connectionType"] == "VPC_LINK"
    assert integration["connectionId"] == recording.one(VPC_LINK).id
    assert integration["integrationUri"] == LISTENER
    assert "tlsConfig" not in integration
    # The link's rules are the stack's table (tests/test_tasks_links.py): the API writes none.
    assert rule_view(recording) == set()


def test_private_mode_with_https_verifies_the_certificate_name() -> None:
    recording = _run(port=443, tls="api.example.com")
    assert recording.one(INTEGRATION).inputs["tlsConfig"] == {"serverNameToVerify": "api.example.com"}


def test_public_mode_proxies_to_the_alb_url_with_the_request_path() -> None:
    recording = _run(mode="public")
    assert recording.of_type(VPC_LINK) == []
    assert recording.of_type(SG) == []
    integration = recording.one(INTEGRATION).inputs
    assert integration["integrationType"] == "HTTP_PROXY"
    assert integration["integrationUri"] == ALB_URL
    assert "connectionType" not in integration
    assert integration["requestParameters"] == {"overwrite:path": "$request.path"}
