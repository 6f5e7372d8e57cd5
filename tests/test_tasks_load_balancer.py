"""TasksLoadBalancer: internal (VPC link) or internet-facing ALB, target group, listeners."""

from __future__ import annotations

from typing import Any

from components.app_contract import TASKS_IMAGE
from components.tasks_load_balancer import TLS_POLICY, TasksLoadBalancer, TasksLoadBalancerArgs
from deploy.simulate import Recording
from tests.tasks_support import INGRESS, SG, assert_all_on_provider, opts, plan, run_with_provider

LB = "aws:lb/loadBalancer:LoadBalancer"
TG = "aws:lb/targetGroup:TargetGroup"
LISTENER = "aws:lb/listener:Listener"
SUBNETS = ["subnet-a", "subnet-b"]
ACCESS_LOG_BUCKET = "pre-tasks-alb-logs-1a2b3c4"
CERTIFICATE = "arn:aws:acm:us-east-1:222222222222:certificate/0a1b2c3d-1111-2222-3333-444455556666"


def _run(raw: dict[str, Any] | None = None, *, production: bool = False) -> tuple[Recording, dict[str, Any]]:
    environment = "prod" if production else "pre"
    resolved = plan(raw, environment=environment, production=production)
    facts: dict[str, Any] = {}

    def program(provider):
        alb = TasksLoadBalancer(
            f"{environment}-tasks",
            TasksLoadBalancerArgs(
                settings=resolved.load_balancer,
                vpc_id="vpc-1",
                subnet_ids=SUBNETS,
                container_port=TASKS_IMAGE.container_port,
                health_check_path=TASKS_IMAGE.health_check_path,
                access_logs_bucket=ACCESS_LOG_BUCKET,
                access_logs_prefix="alb",
            ),
            opts(provider),
        )
        facts.update(port=alb.listener_port, protocol=alb.listener_protocol, internal=alb.internal,
                     listener_ports=alb.listener_ports)
        return {"dns_name": alb.dns_name, "url": alb.url, "listener": alb.listener.arn}

    return run_with_provider(program, stack=environment), facts


def test_private_mode_is_an_internal_alb_that_admits_nobody_by_itself() -> None:
    recording, facts = _run()
    alb = recording.one(LB)
    assert alb.inputs["loadBalancerType"] == "application"
    assert alb.inputs["internal"] is True
    assert alb.inputs["subnets"] == SUBNETS
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is False
    group = recording.one(SG)
    assert alb.inputs["securityGroups"] == [group.id]
    # Who may reach the ALB is the stack's table of links (components/tasks_links.py); not the ALB's.
    assert recording.of_type(INGRESS) == []
    assert facts == {"port": 80, "protocol": "HTTP", "internal": True, "listener_ports": (80,)}
    assert recording.outputs["dns_name"].startswith("internal-")
    assert_all_on_provider(recording)


def test_target_group_checks_the_services_liveness_endpoint_on_8080() -> None:
    recording, _ = _run()
    group = recording.one(TG).inputs
    assert group["port"] == 8080
    assert group["protocol"] == "HTTP"
    assert group["targetType"] == "ip"
    assert group["vpcId"] == "vpc-1"
    check = group["healthCheck"]
    assert check["path"] == "/q/health/live"
    assert check["matcher"] == "200"
    assert (check["healthyThreshold"], check["unhealthyThreshold"]) == (3, 2)
    assert (check["interval"], check["timeout"]) == (15, 10)


def test_without_certificate_one_http_listener_forwards_to_the_tasks() -> None:
    recording, _ = _run()
    listener = recording.one(LISTENER)
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["loadBalancerArn"] == recording.one(LB).outputs["arn"]
    assert listener.inputs["defaultActions"] == [
        {"type": "forward", "targetGroupArn": recording.one(TG).outputs["arn"]}
    ]
    assert recording.outputs["listener"] == listener.outputs["arn"]


def test_public_mode_is_internet_facing_and_open_on_its_listener_port_only() -> None:
    recording, facts = _run({"loadBalancer": {"mode": "public"}})
    alb = recording.one(LB)
    assert alb.inputs["internal"] is False
    assert recording.of_type(INGRESS) == []  # the links open it (tests/test_tasks_links.py)
    assert facts["internal"] is False
    assert facts["listener_ports"] == (80,)
    assert recording.outputs["url"] == f"http://{alb.outputs['dnsName']}"


def test_certificate_adds_https_and_redirects_http() -> None:
    raw = {"loadBalancer": {"mode": "public", "certificateArn": CERTIFICATE, "domainName": "api.example.com"}}
    recording, facts = _run(raw)
    listeners = {r.inputs["port"]: r.inputs for r in recording.of_type(LISTENER)}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["certificateArn"] == CERTIFICATE
    assert listeners[443]["sslPolicy"] == TLS_POLICY
    assert listeners[443]["defaultActions"][0]["type"] == "forward"
    redirect = listeners[80]["defaultActions"][0]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert facts["listener_ports"] == (80, 443)  # both open to the internet (tests/test_tasks_links.py)
    assert facts["port"] == 443 and facts["protocol"] == "HTTPS"
    assert recording.outputs["url"] == "https://api.example.com"


def test_prod_turns_on_deletion_protection() -> None:
    recording, _ = _run(production=True)
    assert recording.one(LB).inputs["enableDeletionProtection"] is True
