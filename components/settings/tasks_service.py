"""Settings of the Tasks Service in an environment stack (``pre``, ``prod``).

Keys `network`, `service`, `loadBalancer`, `database`, `api` and `frontend` of an environment stack
(and `logging`, components/settings/workload_logging.py).
Values that differ by environment default to None here; `tasks_service_plan` resolves them for a
production or non-production environment, checks what spans keys, and returns a `TasksServicePlan`
of concrete values that the components take.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Literal, Protocol

from pydantic import Field, field_validator

from components.app_contract import TASKS_IMAGE
from components.settings.base import PROJECT, ConfigError, LogRetentionDays, Model
from components.settings.postgres_names import master_username_problem
from components.settings.production import check_production_invariants, protection
from components.settings.pwa_contract import BUILD_CONFIGURATIONS
from components.settings.tasks_schedule import SchedulePlan, ScheduleSettings, resolve_schedule
from components.settings.workload_logging import LoggingPlan, LoggingSettings, resolve_logging
from policies.aws_resource_rules import FARGATE_TASK_SIZES  # one definition: AWS's own table
from policies.production import web_url_problem

NatMode = Literal["none", "single", "per-az"]
LoadBalancerMode = Literal["private", "public"]

DEFAULT_TASKS_IMAGE = TASKS_IMAGE.image
# Aurora PostgreSQL: first minor version of each major that runs Serverless v2, and that can scale to
# 0 ACU (auto-pause). Majors above the last listed one support both.
SERVERLESS_V2_SINCE = {13: 6, 14: 3, 15: 2, 16: 1}
AUTO_PAUSE_SINCE = {13: 15, 14: 12, 15: 7, 16: 3}
# 16.8: the LTS minor of 16, offered longest (Aurora User Guide, "Amazon Aurora version support";
# aws/agent-toolkit-for-aws upgrade-planning-lts-recommendation.md; offered lists: hashicorp/terraform-aws-
# terraform-enterprise-hvd PR #39, ministackorg/ministack PR #1491). The driver asks RDS first.
DEFAULT_AURORA_POSTGRES_VERSION = "16.8"
MAX_ACU = Decimal(256)
AUTO_PAUSE_SECONDS = (300, 86_400)
CORS_MAX_AGE = 86_400
CIDR_PREFIXES = (16, 22)  # /22 still leaves /26 public subnets, more than an ALB's minimum of /27
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "*")
CERTIFICATE_ARN = r"^arn:aws[\w-]*:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$"
HOST_NAME = r"^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
ORIGIN = re.compile(r"^https?://[^/\s?#]+$")


class NetworkSettings(Model):
    """The environment's VPC: two AZs of public, private and isolated subnets."""

    cidr_block: str = "10.0.0.0/16"
    # none: no NAT gateway; tasks run in public subnets with a public IP (see components/network.py).
    nat_gateways: NatMode | None = None  # default: per-az in production, none elsewhere

    @field_validator("cidr_block")
    @classmethod
    def _cidr(cls, value: str) -> str:
        import ipaddress

        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as error:
            raise ValueError(f"'{value}' is not an IPv4 network in CIDR notation ({error})") from None
        low, high = CIDR_PREFIXES
        if not low <= network.prefixlen <= high:
            raise ValueError(f"'{value}' must be a /{low} to /{high} network")
        if not network.is_private:
            raise ValueError(f"'{value}' is not a private (RFC 1918) range")
        return value


class ServiceSettings(Model):
    """The Fargate service and its task (defaults: the seed tutorial's values).

    The container port, health path and the variables the image reads are facts of the image, not
    settings: components/tasks_image_contract.json.
    """

    image: str = Field(default=DEFAULT_TASKS_IMAGE, pattern=r"^[\w.\-/:@]+$")
    cpu: int = 256
    memory: int = 512
    min_count: int | None = Field(default=None, ge=1)  # default: 2 in production, 1 elsewhere
    max_count: int | None = Field(default=None, ge=1)  # default: 6 in production, 2 elsewhere
    desired_count: int | None = Field(default=None, ge=1)  # default: min_count
    cpu_target_percent: int = Field(default=70, ge=10, le=95)
    memory_target_percent: int = Field(default=80, ge=10, le=95)
    requests_per_target: int = Field(default=1000, ge=1)
    time_zone_id: str = Field(default="-05:00", pattern=r"^[\w/+:-]{1,64}$")
    log_retention_days: LogRetentionDays | None = None  # default: 90 in production, 14 elsewhere
    container_insights: bool | None = None  # default: on in production
    schedule: ScheduleSettings | None = None  # sleeps out of hours: components/settings/tasks_schedule.py


class LoadBalancerSettings(Model):
    """The ALB: `private` (internal, reached only through the HTTP API's VPC link) or `public`."""

    mode: LoadBalancerMode = "private"
    certificate_arn: str | None = Field(default=None, pattern=CERTIFICATE_ARN)
    domain_name: str | None = Field(default=None, max_length=253, pattern=HOST_NAME)  # on the certificate
    deletion_protection: bool | None = None  # default: on in production
    idle_timeout_seconds: int = Field(default=60, ge=1, le=4000)


class DatabaseSettings(Model):
    """Aurora Serverless v2 PostgreSQL."""

    engine_version: str = Field(default=DEFAULT_AURORA_POSTGRES_VERSION, pattern=r"^\d+\.\d+$")
    min_capacity: Decimal | None = None  # ACU; default: 0.5 in production, 0 (auto-pause) elsewhere
    max_capacity: Decimal | None = None  # ACU; default: 8
    seconds_until_auto_pause: int | None = Field(default=None, ge=AUTO_PAUSE_SECONDS[0],
                                                 le=AUTO_PAUSE_SECONDS[1])  # default: 300
    reader_instance: bool | None = None  # default: in production
    backup_retention_days: int | None = Field(default=None, ge=1, le=35)  # default: 14 prod, 1 elsewhere
    deletion_protection: bool | None = None  # default and only value in production: on
    final_snapshot: bool | None = None  # default and only value in production: on
    database_name: str = Field(default="HiperiumCityTasksDB", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
    master_username: str = Field(default="postgres", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$")

    @field_validator("master_username")
    @classmethod
    def _master_username(cls, value: str) -> str:
        problem = master_username_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("min_capacity", "max_capacity")
    @classmethod
    def _acu(cls, value: Decimal | None) -> Decimal | None:
        if value is None:
            return value
        if value != 0 and not (Decimal("0.5") <= value <= MAX_ACU and value % Decimal("0.5") == 0):
            raise ValueError(f"{value} ACU is out of range: 0, or 0.5 to {MAX_ACU} in steps of 0.5")
        return value


class ApiSettings(Model):
    """The HTTP API in front of the service (CORS values from the seed tutorial)."""

    cors_allow_headers: tuple[str, ...] = ("Content-Type", "Authorization", "Accept")
    cors_allow_methods: tuple[str, ...] = ("GET", "POST", "PUT", "DELETE")
    cors_max_age: int = 86_400
    additional_cors_origins: tuple[str, ...] = ()  # e.g. http://localhost:8100 for local development
    access_log_retention_days: LogRetentionDays | None = None  # default: 365 in production, 7 elsewhere
    throttling_burst_limit: int = Field(default=200, ge=0, le=5000)
    throttling_rate_limit: float = Field(default=100, ge=0, le=10000)

    @field_validator("cors_allow_methods")
    @classmethod
    def _methods(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for method in value:
            if method not in HTTP_METHODS:
                raise ValueError(f"'{method}' is not one of {', '.join(HTTP_METHODS)}")
        return value

    @field_validator("cors_max_age")
    @classmethod
    def _max_age(cls, value: int) -> int:
        # CreateApi's CorsConfiguration.MaxAge: -1..86400 (botocore apigatewayv2 model).
        if not -1 <= value <= CORS_MAX_AGE:
            raise ValueError(f"{value} s is out of range: CreateApi takes -1 (no cache) to {CORS_MAX_AGE} s")
        return value

    @field_validator("additional_cors_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not ORIGIN.match(origin):
                raise ValueError(f"'{origin}' is not an origin (scheme://host[:port], no path or slash)")
        return value


class FrontendSettings(Model):
    """Amplify Hosting app and the environment's branch (build settings from the seed tutorial)."""

    app_name: str = Field(default="HiperiumCityTasksPWA", min_length=1, max_length=255, pattern=r"^[\w .-]+$")
    # Without a repository the app is deployed manually (zip upload / `aws amplify start-deployment`).
    repository: str | None = Field(default=None, pattern=r"^https://[^\s]+$")
    # Name or ARN of a Secrets Manager secret in the workload account holding the GitHub access token.
    access_token_secret: str | None = Field(default=None, max_length=2048, pattern=r"^[\w/+=.@:-]+$")
    app_root: str = Field(default="src/hiperium-city-tasks-pwa", pattern=r"^[\w./-]+$")
    artifacts_dir: str = Field(default="www", pattern=r"^[\w./-]+$")
    # The PWA's build configuration (components/settings/pwa_contract.py): dev | test | prod.
    build_configuration: str | None = None  # default: prod in production, dev elsewhere
    # IANA zone (or offset) the PWA shows task times in: `environment.timeZone`.
    time_zone: str = Field(default="America/Guayaquil", pattern=r"^[A-Za-z0-9_+:/-]{1,64}$")
    scopes: tuple[str, ...] = ("phone", "email", "openid", "profile")


class NetworkPlan(Model):
    cidr_block: str
    nat_gateways: NatMode


class ServicePlan(Model):
    image: str
    cpu: int
    memory: int
    min_count: int
    max_count: int
    desired_count: int
    cpu_target_percent: int
    memory_target_percent: int
    requests_per_target: int
    time_zone_id: str
    log_retention_days: int
    container_insights: bool
    schedule: SchedulePlan | None  # None: never sleeps


class LoadBalancerPlan(Model):
    mode: LoadBalancerMode
    certificate_arn: str | None
    domain_name: str | None
    deletion_protection: bool
    idle_timeout_seconds: int
    protect: bool = False  # Pulumi `protect` on the ALB (production)


class DatabasePlan(Model):
    engine_version: str
    min_capacity: float
    max_capacity: float
    seconds_until_auto_pause: int | None  # set only when min_capacity is 0
    reader_instance: bool
    backup_retention_days: int
    deletion_protection: bool
    final_snapshot: bool
    database_name: str
    master_username: str
    protect: bool  # Pulumi `protect` on the cluster, its instances and password (production)
    secret_protect: bool = False  # Pulumi `protect` and a recovery window on the connection secret


class ApiPlan(Model):
    cors_allow_headers: tuple[str, ...]
    cors_allow_methods: tuple[str, ...]
    cors_max_age: int
    additional_cors_origins: tuple[str, ...]
    access_log_retention_days: int
    throttling_burst_limit: int
    throttling_rate_limit: float


class FrontendPlan(Model):
    app_name: str
    branch: str
    production: bool
    repository: str | None
    access_token_secret: str | None
    app_root: str
    artifacts_dir: str
    build_configuration: str  # a key of pwa_contract.BUILD_CONFIGURATIONS
    time_zone: str
    scopes: tuple[str, ...]


class TasksServicePlan(Model):
    """Every Tasks Service setting of one environment, defaults resolved and cross-checked."""

    environment: str
    production: bool
    network: NetworkPlan
    service: ServicePlan
    load_balancer: LoadBalancerPlan
    database: DatabasePlan
    api: ApiPlan
    frontend: FrontendPlan
    logging: LoggingPlan


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def _engine_supports(version: tuple[int, int], since: Mapping[int, int]) -> bool:
    major, minor = version
    if major > max(since):
        return True
    return major in since and minor >= since[major]


def resolve_tasks_service(
    *,
    environment: str,
    production: bool,
    source: str,
    network: NetworkSettings,
    service: ServiceSettings,
    load_balancer: LoadBalancerSettings,
    database: DatabaseSettings,
    api: ApiSettings,
    frontend: FrontendSettings,
    opt_outs: Collection[str] = (),
    logging: LoggingSettings | None = None,
) -> TasksServicePlan:
    """Resolve the environment defaults and check what spans keys; errors name the stack file and key.

    ``opt_outs``: the production protections the stack lowers (policies/production.py OPT_OUTS).
    """

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(source, f"{PROJECT}:{key}", message)

    def protected(name: str, configured: bool | None = None, key: str | None = None) -> bool:
        return protection(name, production=production, opt_outs=opt_outs, configured=configured, key=key,
                          source=source)

    allowed = FARGATE_TASK_SIZES.get(service.cpu)
    if allowed is None:
        raise fail("service.cpu", f"{service.cpu} is not a Fargate cpu value ({sorted(FARGATE_TASK_SIZES)})")
    if service.memory not in allowed:
        raise fail(
            "service.memory",
            f"{service.memory} MiB is not allowed with cpu {service.cpu} on Fargate"
            f" ({allowed[0]}-{allowed[-1]} MiB{' in 1024 MiB steps' if len(allowed) > 3 else ''})",
        )
    min_count = service.min_count or (2 if production else 1)
    max_count = service.max_count or max(min_count, 6 if production else 2)
    if min_count > max_count:
        raise fail("service.minCount", f"{min_count} is above service.maxCount ({max_count})")
    desired_count = service.desired_count or min_count
    if not min_count <= desired_count <= max_count:
        raise fail(
            "service.desiredCount", f"{desired_count} is outside minCount-maxCount ({min_count}-{max_count})"
        )

    if (load_balancer.certificate_arn is None) != (load_balancer.domain_name is None):
        missing = "domainName" if load_balancer.domain_name is None else "certificateArn"
        raise fail(
            f"loadBalancer.{missing}",
            "is required together with loadBalancer.certificateArn/domainName (the HTTPS listener's"
            " certificate and the host name API Gateway verifies it against)",
        )

    version = _version(database.engine_version)
    if not _engine_supports(version, SERVERLESS_V2_SINCE):
        raise fail(
            "database.engineVersion",
            f"aurora-postgresql {database.engine_version} does not run Serverless v2"
            " (13.6, 14.3, 15.2, 16.1 or newer)",
        )
    min_acu = database.min_capacity if database.min_capacity is not None else Decimal(
        "0.5" if production else "0"
    )
    max_acu = database.max_capacity if database.max_capacity is not None else Decimal(8)
    if max_acu < 1:
        raise fail("database.maxCapacity", f"{max_acu} ACU is too low: the maximum must be at least 1 ACU")
    if min_acu > max_acu:
        raise fail("database.minCapacity", f"{min_acu} ACU is above database.maxCapacity ({max_acu} ACU)")
    if min_acu == 0 and not _engine_supports(version, AUTO_PAUSE_SINCE):
        raise fail(
            "database.minCapacity",
            f"0 ACU (auto-pause) needs aurora-postgresql 13.15, 14.12, 15.7, 16.3 or newer;"
            f" database.engineVersion is {database.engine_version}",
        )
    if min_acu != 0 and database.seconds_until_auto_pause is not None:
        raise fail("database.secondsUntilAutoPause", "applies only when database.minCapacity is 0")
    db_deletion_protection = protected(
        "database.deletionProtection", database.deletion_protection, "database.deletionProtection"
    )
    final_snapshot = protected("database.finalSnapshot", database.final_snapshot, "database.finalSnapshot")
    alb_deletion_protection = protected(
        "loadBalancer.deletionProtection",
        load_balancer.deletion_protection,
        "loadBalancer.deletionProtection",
    )
    for index, origin in enumerate(api.additional_cors_origins):
        problem = web_url_problem(origin, production=production, what="CORS origin")
        if problem:
            raise fail(f"api.additionalCorsOrigins[{index}]", problem)
    if production:
        check_production_invariants(network, service, load_balancer, fail)

    if frontend.access_token_secret is not None and frontend.repository is None:
        raise fail("frontend.accessTokenSecret", "needs frontend.repository (the repository it opens)")
    build_configuration = frontend.build_configuration or ("prod" if production else "dev")
    if build_configuration not in BUILD_CONFIGURATIONS:
        raise fail(
            "frontend.buildConfiguration",
            f"'{build_configuration}' is not one of the PWA's build configurations"
            f" ({', '.join(BUILD_CONFIGURATIONS)}: npm run build-<configuration>)",
        )
    if production and not BUILD_CONFIGURATIONS[build_configuration].production:
        raise fail(
            "frontend.buildConfiguration",
            f"a production environment builds the PWA's prod configuration, not '{build_configuration}'"
            " (the others ship source maps and debug output)",
        )

    return TasksServicePlan(
        environment=environment,
        production=production,
        network=NetworkPlan(
            cidr_block=network.cidr_block,
            nat_gateways=network.nat_gateways or ("per-az" if production else "none"),
        ),
        service=ServicePlan(
            **service.model_dump(
                exclude={"min_count", "max_count", "desired_count", "log_retention_days",
                         "container_insights", "schedule"}
            ),
            min_count=min_count,
            max_count=max_count,
            desired_count=desired_count,
            log_retention_days=service.log_retention_days or (90 if production else 14),
            container_insights=(
                service.container_insights if service.container_insights is not None else production
            ),
            schedule=resolve_schedule(service.schedule, production=production),
        ),
        load_balancer=LoadBalancerPlan(
            **load_balancer.model_dump(exclude={"deletion_protection"}),
            deletion_protection=alb_deletion_protection,
            protect=protected("loadBalancer.protect"),
        ),
        database=DatabasePlan(
            engine_version=database.engine_version,
            min_capacity=float(min_acu),
            max_capacity=float(max_acu),
            seconds_until_auto_pause=(
                (database.seconds_until_auto_pause or AUTO_PAUSE_SECONDS[0]) if min_acu == 0 else None
            ),
            reader_instance=database.reader_instance if database.reader_instance is not None else production,
            backup_retention_days=database.backup_retention_days or (14 if production else 1),
            deletion_protection=db_deletion_protection,
            final_snapshot=final_snapshot,
            database_name=database.database_name,
            master_username=database.master_username,
            protect=protected("database.protect"),
            secret_protect=protected("databaseSecret.protect"),
        ),
        api=ApiPlan(
            **api.model_dump(exclude={"access_log_retention_days"}),
            # The access log is the API's audit trail: a year in production.
            access_log_retention_days=api.access_log_retention_days or (365 if production else 7),
        ),
        frontend=FrontendPlan(
            **frontend.model_dump(exclude={"build_configuration"}),
            branch=environment,
            production=production,
            build_configuration=build_configuration,
        ),
        logging=resolve_logging(logging or LoggingSettings(), production=production),
    )


class TasksServiceConfig(Protocol):
    """What `tasks_service_plan` reads of ``EnvConfig`` (components/config.py, which imports this module)."""

    @property
    def environment(self) -> str: ...

    @property
    def is_production(self) -> bool: ...

    @property
    def network(self) -> NetworkSettings: ...

    @property
    def service(self) -> ServiceSettings: ...

    @property
    def load_balancer(self) -> LoadBalancerSettings: ...

    @property
    def database(self) -> DatabaseSettings: ...

    @property
    def api(self) -> ApiSettings: ...

    @property
    def frontend(self) -> FrontendSettings: ...

    @property
    def opt_out_names(self) -> frozenset[str]: ...

    @property
    def logging(self) -> LoggingSettings: ...


def tasks_service_plan(config: TasksServiceConfig, source: str) -> TasksServicePlan:
    """The Tasks Service settings of an environment stack, resolved; errors name ``source`` and the key."""
    return resolve_tasks_service(
        environment=config.environment,
        production=config.is_production,
        source=source,
        network=config.network,
        service=config.service,
        load_balancer=config.load_balancer,
        database=config.database,
        api=config.api,
        frontend=config.frontend,
        opt_outs=config.opt_out_names,
        logging=config.logging,
    )
