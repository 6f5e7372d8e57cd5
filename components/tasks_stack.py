"""The Tasks Service of one environment, composed from its components (used by components/program.py).

Everything lands in the workload account through the provider given here. The order has no cycle:

1. :func:`declare_frontend_app` - the Amplify app; its default domain gives the frontend URL;
2. (program.py) the Cognito client, registered with that URL;
3. :func:`declare_tasks_service` - VPC, ALB, Aurora, Fargate service, HTTP API (JWT authorizer bound to
   the issuer and client id), the links between them (components/tasks_links.py: each component owns
   its security group, the table says who may reach whom) and the Amplify branch with its build
   variables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pulumi_random as random

from components.app_contract import TASKS_IMAGE
from components.frontend import FrontendApp, FrontendAppArgs, FrontendBranch, FrontendBranchArgs, origin_of
from components.network import Network, NetworkArgs
from components.settings.tasks_service import TasksServicePlan
from components.tasks_api import TasksApi, TasksApiArgs
from components.tasks_database import TasksDatabase, TasksDatabaseArgs
from components.tasks_links import LINKS, GroupOwner, Link, LinkPorts, LinkRules, Peer, declare_links
from components.tasks_load_balancer import TasksLoadBalancer, TasksLoadBalancerArgs
from components.tasks_schedule import TasksSchedule, TasksScheduleArgs
from components.tasks_service import TasksService, TasksServiceArgs
from components.workload_security import AccessLogBucket, AccessLogBucketArgs, WorkloadKeys, WorkloadKeysArgs


def declare_frontend_app(plan: TasksServicePlan, provider: aws.Provider) -> FrontendApp:
    return FrontendApp(
        f"{plan.environment}-frontend",
        FrontendAppArgs(settings=plan.frontend),
        opts=pulumi.ResourceOptions(providers={"aws": provider}),
    )


@dataclass(frozen=True)
class TasksDeployment:
    """The components of one environment's Tasks Service, and the stack outputs they give."""

    keys: WorkloadKeys
    access_logs: AccessLogBucket
    network: Network
    load_balancer: TasksLoadBalancer
    database: TasksDatabase
    service: TasksService
    api: TasksApi
    links: LinkRules
    frontend: FrontendApp
    frontend_branch: FrontendBranch
    frontend_url: pulumi.Output[str]  # registered with Cognito, the CORS origin and the redirect URI
    schedule: TasksSchedule | None = None  # the service sleeps out of hours (None: never)

    @property
    def outputs(self) -> dict[str, Any]:
        return {
            "api_url": self.api.api_url,
            "health_url": self.api.health_url,  # the smoke check's liveness probe (no token needed)
            "alb_dns_name": self.load_balancer.dns_name,
            "frontend_url": self.frontend_url,
            "db_cluster_endpoint": self.database.endpoint,
            "db_secret_arn": self.database.secret_arn,
            **({"service_schedule": self.schedule.output} if self.schedule else {}),  # wake, smoke
            # What `python -m deploy logs` and `status` read (deploy/logs.py, deploy/status.py).
            "service_log_group": self.service.log_group.name,
            "ecs_cluster_name": self.service.cluster.name,
            "ecs_service_name": self.service.service.name,
            "target_group_arn": self.load_balancer.target_group.arn,
            "db_cluster_identifier": self.database.cluster.cluster_identifier,
        }


def declare_tasks_service(
    plan: TasksServicePlan,
    *,
    provider: aws.Provider,
    awsx_provider: awsx.Provider,
    region: str,
    issuer_url: pulumi.Input[str],
    client_id: pulumi.Input[str],
    frontend: FrontendApp,
    frontend_url: pulumi.Input[str] | None = None,
    links: Sequence[Link] = LINKS,
) -> TasksDeployment:
    """``frontend_url`` overrides the Amplify branch URL (a custom domain in front of the branch).

    ``provider`` and ``awsx_provider`` are the workload account's aws and awsx providers; ``links`` is
    the table of who may reach whom (components/tasks_links.py).
    """
    env = plan.environment
    url = frontend.public_url(frontend_url)
    on_workload = pulumi.ResourceOptions(providers={"aws": provider})
    # The account the provider is pinned to (roles trust ECS only on its behalf).
    account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(provider=provider)).account_id
    # The environment's one random provider (default providers are disabled): the database password.
    random_provider = random.Provider(f"{env}-random")
    logging = plan.logging

    # The environment's customer managed keys and the ALB's access-log bucket come first.
    keys = WorkloadKeys(
        f"{env}-tasks-keys",
        WorkloadKeysArgs(environment=env, region=region, account_id=account_id, production=plan.production),
        opts=on_workload,
    )
    access_logs = AccessLogBucket(
        f"{env}-tasks-alb-logs",
        AccessLogBucketArgs(
            region=region, account_id=account_id, retention_days=logging.load_balancer_retention_days,
            production=plan.production,
        ),
        opts=on_workload,
    )
    network = Network(
        f"{env}-network",
        NetworkArgs(
            cidr_block=plan.network.cidr_block,
            nat_gateways=plan.network.nat_gateways,
            awsx_provider=awsx_provider,
            flow_logs=logging.flow_logs,
            logs_key_arn=keys.logs_key_arn,
            region=region,
            account_id=account_id,
        ),
        opts=on_workload,
    )
    private = plan.load_balancer.mode == "private"
    load_balancer = TasksLoadBalancer(
        f"{env}-tasks",
        TasksLoadBalancerArgs(
            settings=plan.load_balancer,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids if private else network.public_subnet_ids,
            container_port=TASKS_IMAGE.container_port,
            health_check_path=TASKS_IMAGE.health_check_path,
            access_logs_bucket=access_logs.bucket_name,
            access_logs_prefix=access_logs.prefix,
            access_logs_ready=[access_logs.policy],
        ),
        opts=on_workload,
    )
    database = TasksDatabase(
        f"{env}-tasks-db",
        TasksDatabaseArgs(
            settings=plan.database,
            vpc_id=network.vpc_id,
            subnet_ids=network.isolated_subnet_ids,
            random_provider=random_provider,
            data_key_arn=keys.data_key_arn,
            logs_key_arn=keys.logs_key_arn,
            log_retention_days=logging.database_retention_days,
        ),
        opts=on_workload,
    )
    # The service and the API wait for the rules of their links, declared once all groups exist.
    with _links_pending(("tasks", "vpc_link")) as pending:
        service = TasksService(
            f"{env}-tasks",
            TasksServiceArgs(
                settings=plan.service,
                region=region,
                account_id=account_id,
                vpc_id=network.vpc_id,
                subnet_ids=network.task_subnet_ids,
                assign_public_ip=network.tasks_need_public_ip,
                issuer_url=issuer_url,
                alb_arn_suffix=load_balancer.load_balancer.arn_suffix,
                target_group_arn=load_balancer.target_group.arn,
                target_group_arn_suffix=load_balancer.target_group.arn_suffix,
                db_secret_arn=database.secret_arn,
                db_secret_version_id=database.secret_version_id,
                db_secret_kms_key_arn=database.secret_kms_key_arn,
                logs_key_arn=keys.logs_key_arn,
                depends_on=[
                    load_balancer.listener,
                    *([load_balancer.redirect_listener] if load_balancer.redirect_listener else []),
                ],
                network_ready=pending.ready("tasks"),
            ),
            opts=on_workload,
        )
        api = TasksApi(
            f"{env}-tasks-api",
            TasksApiArgs(
                settings=plan.api,
                mode=plan.load_balancer.mode,
                issuer_url=issuer_url,
                audience=client_id,
                frontend_origin=origin_of(url),
                listener_arn=load_balancer.listener.arn,
                listener_port=load_balancer.listener_port,
                alb_url=load_balancer.url,
                vpc_id=network.vpc_id,
                vpc_link_subnet_ids=network.private_subnet_ids,
                health_check_path=TASKS_IMAGE.health_check_path,
                tls_server_name=plan.load_balancer.domain_name if private else None,
                logs_key_arn=keys.logs_key_arn,
                network_ready=pending.ready("vpc_link"),
            ),
            opts=on_workload,
        )
        owners: dict[Peer, GroupOwner] = {
            "alb": GroupOwner(load_balancer, load_balancer.security_group),
            "tasks": GroupOwner(service, service.security_group),
            "database": GroupOwner(database, database.security_group),
        }
        if api.vpc_link_security_group is not None:
            owners["vpc_link"] = GroupOwner(api, api.vpc_link_security_group)
        ports = LinkPorts(
            listener=load_balancer.listener_port, listener_ports=load_balancer.listener_ports,
            container=TASKS_IMAGE.container_port, database=database.port,
        )
        link_rules = declare_links(env, owners, ports, plan.load_balancer.mode, links)
        pending.resolve(link_rules)
    schedule = None if plan.service.schedule is None else TasksSchedule(
        f"{env}-tasks",
        TasksScheduleArgs(schedule=plan.service.schedule, target=service.scaling_target,
                          min_count=plan.service.min_count, max_count=plan.service.max_count),
        opts=on_workload,
    )
    branch = FrontendBranch(
        f"{env}-frontend",
        FrontendBranchArgs(
            settings=plan.frontend,
            app_id=frontend.app_id,
            api_url=api.api_url,
            issuer_url=issuer_url,
            client_id=client_id,
            redirect_uri=url,
            region=region,
        ),
        opts=on_workload,
    )
    return TasksDeployment(
        keys=keys,
        access_logs=access_logs,
        network=network,
        load_balancer=load_balancer,
        database=database,
        service=service,
        api=api,
        links=link_rules,
        frontend=frontend,
        frontend_branch=branch,
        frontend_url=url,
        schedule=schedule,
    )


class _PendingLinks:
    """Per peer, the rules of its links as an output resolved once they are declared (deferred outputs)."""

    def __init__(self, peers: Sequence[Peer]) -> None:
        self._outputs: dict[Peer, pulumi.Output[Sequence[pulumi.Resource]]] = {}
        self._resolvers: dict[Peer, Callable[[pulumi.Output[Sequence[pulumi.Resource]]], None]] = {}
        for peer in peers:
            output: pulumi.Output[Sequence[pulumi.Resource]]
            resolve: Callable[[pulumi.Output[Sequence[pulumi.Resource]]], None]
            output, resolve = pulumi.deferred_output()
            self._outputs[peer], self._resolvers[peer] = output, resolve

    def ready(self, peer: Peer) -> pulumi.Output[Sequence[pulumi.Resource]]:
        return self._outputs[peer]

    def resolve(self, rules: LinkRules) -> None:
        for peer in list(self._resolvers):
            self._resolvers.pop(peer)(pulumi.Output.from_input(rules.touching(peer)))

    def settle(self) -> None:
        """Resolve what is left with no rules: an error is on its way; no registration may wait forever."""
        for peer in list(self._resolvers):
            self._resolvers.pop(peer)(pulumi.Output.from_input([]))


@contextmanager
def _links_pending(peers: Sequence[Peer]) -> Iterator[_PendingLinks]:
    pending = _PendingLinks(peers)
    try:
        yield pending
    finally:
        pending.settle()
