"""Rules AWS documents but its API models do not encode, as data, each with its source.

``MEMBER_RULES`` holds rules on one API member's value, keyed like ``aws_api_members.API_MEMBERS``
(``service:Operation.Member``). Many sources are the botocore model's own documentation of the member
("Constraints: ...", "Valid Values: ..."), which the models ship as prose only; the test suite checks
that each quoted ``doc`` phrase is still in the installed model. The rules that span several inputs of
one resource (a Fargate task's cpu with its memory, ...) are in ``aws_resource_rules.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Value = Any


@dataclass(frozen=True)
class Rule:
    """A documented constraint on a member's value. Each set field is checked; ``describe`` names it."""

    describe: str  # shown after "does not match" / "is not one of" ...: what AWS allows
    source: str  # where AWS says so (URL, or the botocore model documentation of the member)
    doc: str = ""  # a phrase of the member's documentation in the botocore model that states the rule
    pattern: str | None = None  # Python regex the whole value must match
    one_of: tuple[Value, ...] | None = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    forbidden: tuple[str, ...] = ()  # substrings AWS reserves
    max_items: int | None = None  # for a list
    check: Callable[[Value], str | None] | None = None  # anything else: what is wrong, or None


def is_list(value: Value) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _model_doc(service: str, shape: str, member: str) -> str:
    return f"botocore {service} model, documentation of {shape}.{member}"


# --- EC2 ----------------------------------------------------------------------------------------
# "Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" (CreateSecurityGroup, IpRange);
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html
EC2_TEXT = r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{0,255}"
_EC2_DESCRIPTION = Rule(
    describe=r"EC2's allowed characters [a-zA-Z0-9. _-:/()#,@\[\]+=&;{}!$*], up to 255",
    source=_model_doc("ec2", "CreateSecurityGroupRequest", "Description"),
    doc="Valid characters: a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&amp;;{}!$*",
    pattern=EC2_TEXT,
)
_EC2_GROUP_NAME = Rule(
    describe=r"EC2 group names: [a-zA-Z0-9. _-:/()#,@\[\]+=&;{}!$*], up to 255, not starting with 'sg-'",
    source=_model_doc("ec2", "CreateSecurityGroupRequest", "GroupName"),
    doc="Can't start with <code>sg-</code>",
    pattern=r"(?!sg-)" + EC2_TEXT,
)
_EC2_PROTOCOL = Rule(
    describe="tcp, udp, icmp, icmpv6, -1 (all) or a protocol number 0-255",
    source=_model_doc("ec2", "IpPermission", "IpProtocol"),
    doc="Use <code>-1</code> to specify all protocols",
    pattern=r"(?i:tcp|udp|icmp|icmpv6|-1|all|[01]?\d{1,2}|2[0-4]\d|25[0-5])",
)
_EC2_PORT = Rule(describe="-1 to 65535", source="https://docs.aws.amazon.com/AWSEC2/latest/APIReference/"
                 "API_IpPermission.html", low=-1, high=65535)


def _netmask(value: Value) -> str | None:
    """VPC and subnet CIDR blocks: a netmask between /16 and /28 (value: a CIDR or a mask length)."""
    text = str(value)
    mask = text.rsplit("/", 1)[1] if "/" in text else text.split(".")[0]
    try:
        bits = int(float(mask))
    except ValueError:
        return f"is not a CIDR block or netmask length ({text!r})"
    return None if 16 <= bits <= 28 else f"has netmask /{bits}; VPCs and subnets take /16 to /28"


_VPC_CIDR = Rule(describe="/16 to /28", check=_netmask,
                 source="https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html")

# --- Elastic Load Balancing -----------------------------------------------------------------------
_ELB_NAME = Rule(
    describe="ELB names: 1-32 alphanumerics or hyphens, no hyphen first or last, not starting 'internal-'",
    source=_model_doc("elbv2", "CreateLoadBalancerInput", "Name"),
    doc='must not begin with "internal-"',
    pattern=r"(?!internal-)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?",
)
_TARGET_GROUP_NAME = Rule(
    describe="target group names: 1-32 alphanumerics or hyphens, no hyphen first or last",
    source=_model_doc("elbv2", "CreateTargetGroupInput", "Name"),
    doc="must not begin or end with a hyphen",
    pattern=r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?",
)

# --- ECS ----------------------------------------------------------------------------------------
_ECS_NAME = Rule(
    describe="up to 255 letters, numbers, underscores and hyphens",
    source=_model_doc("ecs", "RegisterTaskDefinitionRequest", "family"),
    doc="Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed",
    pattern=r"[a-zA-Z0-9_-]{1,255}",
)

# --- CloudWatch Logs ------------------------------------------------------------------------------
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)
_LOG_RETENTION = Rule(
    describe="CloudWatch Logs retention periods",
    source=_model_doc("logs", "PutRetentionPolicyRequest", "retentionInDays"),
    doc="2557, 2922, 3288, and 3653",
    one_of=LOG_RETENTION_DAYS,
)

# --- RDS / Aurora ---------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.how-it-works.html
# (capacity: 0 or 0.5 to 256 ACU in steps of 0.5; the maximum at least 1) and
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html
_ACU_MIN = Rule(describe="0, or 0.5 to 256 ACU in steps of 0.5", low=0, high=256, step=0.5,
                source=_model_doc("rds", "ServerlessV2ScalingConfiguration", "MinCapacity"),
                doc="You can specify ACU values in half-step increments")
_ACU_MAX = Rule(describe="1 to 256 ACU in steps of 0.5", low=1, high=256, step=0.5,
                source=_model_doc("rds", "ServerlessV2ScalingConfiguration", "MaxCapacity"),
                doc="The largest value that you can use is 256")
_AUTO_PAUSE = Rule(describe="300 to 86400 seconds", low=300, high=86400, step=1,
                   source=_model_doc("rds", "ServerlessV2ScalingConfiguration", "SecondsUntilAutoPause"),
                   doc="Specify a value between 300 seconds (five minutes) and 86,400 seconds (one day)")
HHMM = r"(?:[01]\d|2[0-3]):[0-5]\d"
DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)"

# --- Cognito --------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-assign-domain-prefix.html
COGNITO_RESERVED = ("aws", "amazon", "cognito")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def redirect_url_problem(value: Value) -> str | None:
    """Cognito callback and sign-out URLs: absolute, no fragment, no wildcard, https unless loopback."""
    url = str(value)
    parts = urlsplit(url)
    if not parts.scheme or not (parts.netloc or parts.path):
        return "is not an absolute URI"
    if "*" in url:
        return "has a wildcard, which Cognito does not accept"
    if parts.fragment or url.endswith("#"):
        return "has a fragment (#...), which redirect URIs must not have"
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return "uses http; Cognito requires https except for http://localhost, 127.0.0.1 and [::1]"
    return None


_REDIRECT_URL = Rule(
    describe="Cognito redirect URIs", check=redirect_url_problem,
    source=_model_doc("cognito-idp", "CreateUserPoolClientRequest", "CallbackURLs"),
    doc="Amazon Cognito requires HTTPS over HTTP except for callback URLs to",
)

# --- API Gateway (HTTP APIs) ---------------------------------------------------------------------
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html: "$default"
# or "METHOD /path"; path variables in braces, a greedy {name+} only as the last segment.
_ROUTE_KEY = Rule(
    describe='HTTP API route keys: $default or "METHOD /path" (ANY, GET, POST, PUT, PATCH, DELETE, HEAD, '
             "OPTIONS; {name+} only last)",
    source="https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html",
    pattern=r"\$default|(?:ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /(?:[^\s/{}+]+|\{[\w.-]+\})?"
            r"(?:/(?:[^\s/{}+]+|\{[\w.-]+\}))*(?:/\{[\w.-]+\+\})?",
)
_PAYLOAD_VERSION = Rule(describe="1.0 or 2.0", one_of=("1.0", "2.0"),
                        source=_model_doc("apigatewayv2", "CreateIntegrationRequest", "PayloadFormatVersion"),
                        doc="For all other integrations, 1.0 is the only supported value")

# --- Identity Center ------------------------------------------------------------------------------
# The one definition of a permission set's session duration, for the config layer
# (components/settings/identity_center.py) and the pack alike. SessionDuration is the sso-admin model's
# `Duration` shape, "in the ISO-8601 standard" (botocore sso-admin 2020-07-20 service-2.json,
# CreatePermissionSetRequest.SessionDuration); only its time part can fall in the documented 1 to 12
# hours (https://docs.aws.amazon.com/singlesignon/latest/userguide/howtosessionduration.html).
ISO_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
SESSION_SECONDS = (3600, 12 * 3600)  # PT1H to PT12H


def duration_seconds(value: str) -> int | None:
    """Seconds of an ISO 8601 ``PT..H..M..S`` duration; None when it is not one."""
    match = ISO_DURATION.match(value)
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def session_duration_problem(value: Value) -> str | None:
    """Permission-set sessions: an ISO 8601 duration from PT1H to PT12H."""
    total = duration_seconds(str(value))
    if total is None:
        return "is not an ISO 8601 duration such as PT8H"
    low, high = SESSION_SECONDS
    return None if low <= total <= high else "is outside PT1H..PT12H"


_SESSION_DURATION = Rule(
    describe="PT1H to PT12H", check=session_duration_problem,
    source="https://docs.aws.amazon.com/singlesignon/latest/userguide/howtosessionduration.html",
)

# --- Application Auto Scaling scheduled actions ----------------------------------------------------
_SCHEDULE = Rule(
    describe="at(yyyy-mm-ddThh:mm:ss), rate(<n> minute(s)|hour(s)|day(s)) or cron(<six fields>)",
    source=_model_doc("application-autoscaling", "PutScheduledActionRequest", "Schedule"),
    doc="The cron format consists of six fields separated by white spaces",
    pattern=r"at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)|rate\([1-9]\d* (?:minutes?|hours?|days?)\)"
            r"|cron\(\S+(?: \S+){5}\)",
)


def _time_zone_problem(value: Value) -> str | None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"'{value}' is not an IANA time zone name (e.g. America/Guayaquil, Etc/GMT+5)"
    return None


_TIME_ZONE = Rule(
    describe="an IANA time zone name", check=_time_zone_problem,
    source=_model_doc("application-autoscaling", "PutScheduledActionRequest", "Timezone"),
    doc="Valid values are the canonical names of the IANA time zones supported by Joda-Time",
)

# --- Identity Center's identity store ---------------------------------------------------------------
IDENTITY_STORE_RESERVED = ("Administrator", "AWSAdministrators")


def _identity_store_reserved(value: Value) -> str | None:
    return f"'{value}' is reserved" if str(value) in IDENTITY_STORE_RESERVED else None


def _identity_store_name(shape: str, member: str) -> Rule:
    """The identity store refuses two names for users and groups; its model has no pattern for it."""
    return Rule(
        describe="not Administrator or AWSAdministrators, which the identity store reserves",
        source=_model_doc("identitystore", shape, member), check=_identity_store_reserved,
        doc="<code>AWSAdministrators</code> are reserved names and can't be used for users or groups",
    )


MEMBER_RULES: dict[str, tuple[Rule, ...]] = {
    "application-autoscaling:PutScheduledAction.Schedule": (_SCHEDULE,),
    "application-autoscaling:PutScheduledAction.Timezone": (_TIME_ZONE,),
    "ec2:CreateSecurityGroup.Description": (_EC2_DESCRIPTION,),
    "ec2:CreateSecurityGroup.GroupName": (_EC2_GROUP_NAME,),
    **{
        f"ec2:{operation}.IpPermissions[].{field}": rules
        for operation in ("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress")
        for field, rules in (
            ("IpRanges[].Description", (_EC2_DESCRIPTION,)),
            ("IpProtocol", (_EC2_PROTOCOL,)),
            ("FromPort", (_EC2_PORT,)),
            ("ToPort", (_EC2_PORT,)),
        )
    },
    "ec2:CreateVpc.CidrBlock": (_VPC_CIDR,),
    "ec2:CreateSubnet.CidrBlock": (_VPC_CIDR,),
    "elbv2:CreateLoadBalancer.Name": (_ELB_NAME,),
    "elbv2:CreateTargetGroup.Name": (_TARGET_GROUP_NAME,),
    "elbv2:ModifyLoadBalancerAttributes.Attributes[].Value#idle_timeout.timeout_seconds": (Rule(
        describe="idle_timeout.timeout_seconds: 1 to 4000 seconds", low=1, high=4000, step=1,
        source=_model_doc("elbv2", "LoadBalancerAttribute", "Key"),
        doc="The valid range is 1-4000 seconds"),),
    "elbv2:ModifyTargetGroupAttributes.Attributes[].Value#deregistration_delay.timeout_seconds": (Rule(
        describe="deregistration_delay.timeout_seconds: 0 to 3600 seconds", low=0, high=3600, step=1,
        source=_model_doc("elbv2", "TargetGroupAttribute", "Key"),
        doc="The range is 0-3600 seconds"),),
    "ecs:RegisterTaskDefinition.family": (_ECS_NAME,),
    "ecs:RegisterTaskDefinition.containerDefinitions[].name": (_ECS_NAME,),
    "ecs:CreateCluster.clusterName": (_ECS_NAME,),
    "ecs:CreateService.serviceName": (_ECS_NAME,),
    "ecs:CreateService.networkConfiguration.awsvpcConfiguration.subnets": (Rule(
        describe="at most 16 subnets", max_items=16,
        source=_model_doc("ecs", "AwsVpcConfiguration", "subnets"),
        doc="There's a limit of 16 subnets"),),
    "ecs:CreateService.networkConfiguration.awsvpcConfiguration.securityGroups": (Rule(
        describe="at most 5 security groups", max_items=5,
        source=_model_doc("ecs", "AwsVpcConfiguration", "securityGroups"),
        doc="There's a limit of 5 security groups"),),
    "logs:PutRetentionPolicy.retentionInDays": (_LOG_RETENTION,),
    "rds:CreateDBCluster.ServerlessV2ScalingConfiguration.MinCapacity": (_ACU_MIN,),
    "rds:CreateDBCluster.ServerlessV2ScalingConfiguration.MaxCapacity": (_ACU_MAX,),
    "rds:CreateDBCluster.ServerlessV2ScalingConfiguration.SecondsUntilAutoPause": (_AUTO_PAUSE,),
    "rds:CreateDBCluster.BackupRetentionPeriod": (Rule(
        describe="1 to 35 days", low=1, high=35, step=1,
        source=_model_doc("rds", "CreateDBClusterMessage", "BackupRetentionPeriod"),
        doc="Must be a value from 1 to 35"),),
    "rds:CreateDBCluster.Port": (Rule(
        describe="1150 to 65535", low=1150, high=65535, step=1,
        source=_model_doc("rds", "CreateDBClusterMessage", "Port"), doc="Valid Values: <code>1150-65535"),),
    "rds:CreateDBCluster.Engine": (Rule(
        describe="the engines CreateDBCluster accepts",
        one_of=("aurora-mysql", "aurora-postgresql", "mysql", "postgres", "neptune"),
        source=_model_doc("rds", "CreateDBClusterMessage", "Engine"), doc="aurora-postgresql"),),
    "rds:CreateDBCluster.MasterUsername": (Rule(
        describe="1 to 16 letters or numbers, a letter first", pattern=r"[A-Za-z][A-Za-z0-9]{0,15}",
        source=_model_doc("rds", "CreateDBClusterMessage", "MasterUsername"),
        doc="Must be 1 to 16 letters or numbers"),),
    "rds:CreateDBCluster.DatabaseName": (Rule(
        describe="up to 64 letters, digits or underscores, a letter first",
        pattern=r"[A-Za-z][A-Za-z0-9_]{0,63}",
        source=_model_doc("rds", "CreateDBClusterMessage", "DatabaseName"),
        doc="up to 64 alphanumeric characters"),),
    "rds:CreateDBCluster.DBClusterIdentifier": (Rule(
        describe="1-63 letters, numbers or hyphens, a letter first, no '--', no hyphen last",
        pattern=r"(?!.*--)[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
        source=_model_doc("rds", "CreateDBClusterMessage", "DBClusterIdentifier"),
        doc="Can't end with a hyphen or contain two consecutive hyphens"),),
    "rds:CreateDBCluster.PreferredBackupWindow": (Rule(
        describe="hh24:mi-hh24:mi (UTC)", pattern=f"{HHMM}-{HHMM}",
        source=_model_doc("rds", "CreateDBClusterMessage", "PreferredBackupWindow"),
        doc="Must be in the format <code>hh24:mi-hh24:mi</code>"),),
    "rds:CreateDBCluster.PreferredMaintenanceWindow": (Rule(
        describe="ddd:hh24:mi-ddd:hh24:mi (UTC)", pattern=f"(?i:{DAY}):{HHMM}-(?i:{DAY}):{HHMM}",
        source=_model_doc("rds", "CreateDBClusterMessage", "PreferredMaintenanceWindow"),
        doc="Must be in the format <code>ddd:hh24:mi-ddd:hh24:mi</code>"),),
    "rds:CreateDBInstance.PromotionTier": (Rule(
        describe="0 to 15", low=0, high=15, step=1,
        source=_model_doc("rds", "CreateDBInstanceMessage", "PromotionTier"),
        doc="Valid Values: <code>0 - 15"),),
    "rds:CreateDBSubnetGroup.DBSubnetGroupName": (Rule(
        describe="up to 255 letters, numbers, periods, underscores, spaces or hyphens, a letter first, "
                 "not 'default'",
        pattern=r"(?!default$)[A-Za-z][A-Za-z0-9._ -]{0,254}",
        source=_model_doc("rds", "CreateDBSubnetGroupMessage", "DBSubnetGroupName"),
        doc="Must not be default"),),
    "cognito-idp:CreateUserPoolDomain.Domain": (Rule(
        describe="Cognito domain prefixes (no 'aws', 'amazon' or 'cognito')", forbidden=COGNITO_RESERVED,
        source="https://docs.aws.amazon.com/cognito/latest/developerguide/"
               "cognito-user-pools-assign-domain-prefix.html"),),
    "cognito-idp:CreateUserPoolClient.CallbackURLs[]": (_REDIRECT_URL,),
    "cognito-idp:CreateUserPoolClient.LogoutURLs[]": (_REDIRECT_URL,),
    "cognito-idp:CreateUserPoolClient.DefaultRedirectURI": (_REDIRECT_URL,),
    "apigatewayv2:CreateRoute.RouteKey": (_ROUTE_KEY,),
    "apigatewayv2:CreateIntegration.PayloadFormatVersion": (_PAYLOAD_VERSION,),
    "sso-admin:CreatePermissionSet.SessionDuration": (_SESSION_DURATION,),
    "identitystore:CreateUser.UserName": (_identity_store_name("CreateUserRequest", "UserName"),),
    "identitystore:CreateGroup.DisplayName": (_identity_store_name("CreateGroupRequest", "DisplayName"),),
    "secretsmanager:CreateSecret.Name": (Rule(
        describe="ASCII letters, numbers and /_+=.@-", pattern=r"[A-Za-z0-9/_+=.@-]+",
        source=_model_doc("secretsmanager", "CreateSecretRequest", "Name"),
        doc="The secret name can contain ASCII letters, numbers, and the following characters: /_+=.@-"),),
    "secretsmanager:DeleteSecret.RecoveryWindowInDays": (Rule(
        describe="7 to 30 days (or 0 with the provider's force delete)", one_of=(0, *range(7, 31)),
        source=_model_doc("secretsmanager", "DeleteSecretRequest", "RecoveryWindowInDays"),
        doc="The number of days from 7 to 30"),),
    # "The aws: prefix is reserved for AWS use": https://docs.aws.amazon.com/tag-editor/latest/userguide/
    # best-practices-and-strats.html (tag naming limits and requirements).
    "resourcegroupstaggingapi:TagResources.Tags{key}": (Rule(
        describe="tag keys not starting with 'aws:', which AWS reserves", pattern=r"(?i)(?!aws:)[\s\S]*",
        source="https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html"),),
}

# --- KMS, S3, flow logs (the workload's keys and log bucket) ---------------------------------------
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (general purpose buckets)
_S3_BUCKET_NAME = (
    r"(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)(?!.*(?:-s3alias|--ol-s3|--x-s3|--table-s3)$)"
    r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
)
S3_BUCKET_POLICY_MAX = 20 * 1024  # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html


def _bucket_policy_size(value: Value) -> str | None:
    size = len(str(value))
    if size <= S3_BUCKET_POLICY_MAX:
        return None
    return f"is {size} characters; bucket policies are limited to 20 KB"


_POSITIVE_DAYS = "a whole number of days, at least 1"
MEMBER_RULES.update({
    "kms:ScheduleKeyDeletion.PendingWindowInDays": (Rule(
        describe="7 to 30 days", one_of=tuple(range(7, 31)),
        source=_model_doc("kms", "ScheduleKeyDeletionRequest", "PendingWindowInDays"),
        doc="it must be between 7 and 30, inclusive"),),
    "kms:CreateAlias.AliasName": (Rule(
        describe="alias/<name> of letters, digits, /_-, not under alias/aws/",
        pattern=r"alias/(?!aws/)[a-zA-Z0-9:/_-]+",
        source=_model_doc("kms", "CreateAliasRequest", "AliasName"),
        doc="The alias name cannot begin with <code>alias/aws/</code>"),),
    "s3:CreateBucket.Bucket": (Rule(
        describe="S3 bucket names: 3-63 lowercase letters, digits, dots or hyphens, a letter or digit at "
                 "both ends, no '..', no reserved prefix or suffix",
        pattern=_S3_BUCKET_NAME,
        source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"),),
    "s3:PutBucketPolicy.Policy": (Rule(
        describe="at most 20 KB", check=_bucket_policy_size,
        source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html"),),
    "s3:PutBucketLifecycleConfiguration.LifecycleConfiguration.Rules[].Expiration.Days": (Rule(
        describe=_POSITIVE_DAYS, low=1, step=1,
        source=_model_doc("s3", "LifecycleExpiration", "Days"),
        doc="The value must be a non-zero positive integer"),),
    "s3:PutBucketLifecycleConfiguration.LifecycleConfiguration.Rules[].NoncurrentVersionExpiration"
    ".NoncurrentDays": (Rule(
        describe=_POSITIVE_DAYS, low=1, step=1,
        source=_model_doc("s3", "NoncurrentVersionExpiration", "NoncurrentDays"),
        doc="The value must be a non-zero positive integer"),),
    "ec2:CreateFlowLogs.MaxAggregationInterval": (Rule(
        describe="60 or 600 seconds", one_of=(60, 600),
        source=_model_doc("ec2", "CreateFlowLogsRequest", "MaxAggregationInterval"),
        doc="The possible values are 60 seconds (1 minute) or 600 seconds (10 minutes)"),),
    "ecs:RegisterTaskDefinition.volumes[].name": (_ECS_NAME,),
    "elbv2:ModifyLoadBalancerAttributes.Attributes[].Value#access_logs.s3.prefix": (Rule(
        describe="an access-log prefix without AWSLogs (ELB adds it)", forbidden=("awslogs",),
        source="https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html"),),
})


# The break-glass alert topic (components/break_glass.py): SNS's model carries no constraints, its text does.
MEMBER_RULES.update({
    "sns:CreateTopic.Name": (Rule(
        describe="1-256 ASCII letters, digits, underscores or hyphens", pattern=r"[A-Za-z0-9_-]{1,256}",
        source=_model_doc("sns", "CreateTopicInput", "Name"),
        doc="Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, "
            "underscores, and hyphens, and must be between 1 and 256 characters long"),),
    "sns:Subscribe.Protocol": (Rule(
        describe="a supported protocol",
        one_of=("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"),
        source=_model_doc("sns", "SubscribeInput", "Protocol"), doc="Supported protocols include"),),
})
