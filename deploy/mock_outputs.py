"""Outputs the mocks synthesize for the workload's keys, log bucket, parameter group and flow log.

Kept apart from ``deploy/simulate.py``, which merges them into its table (``_SYNTHESIZED``); the same
conventions: deterministic fake ids from the resource name, camelCase outputs as the engine sends them,
ARNs in the mocked region and account (tests check providers, not these ids).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"


def _hex(*parts: str, length: int) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _uuid(*parts: str) -> str:
    digest = _hex(*parts, length=32)
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def kms_key(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    key_id = _uuid("kms-key", name)
    return {"id": key_id, "keyId": key_id, "arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"}


def bucket(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    # Autonamed as Pulumi does: the resource name, a hyphen and 7 random lowercase hex digits.
    bucket_name = inputs.get("bucket") or f"{name}-{_hex('bucket', name, length=7)}"
    return {"id": bucket_name, "bucket": bucket_name, "arn": f"arn:aws:s3:::{bucket_name}",
            "bucketDomainName": f"{bucket_name}.s3.amazonaws.com", "region": REGION}


def cluster_parameter_group(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    group = inputs.get("name") or f"{name}-{_hex('cluster-pg', name, length=7)}"
    return {"id": group, "name": group, "arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-pg:{group}"}


def flow_log(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    flow_log_id = f"fl-{_hex('flow-log', name, length=17)}"
    return {"id": flow_log_id, "arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-flow-log/{flow_log_id}"}


SYNTHESIZED: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "aws:kms/key:Key": kms_key,
    "aws:s3/bucket:Bucket": bucket,
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": cluster_parameter_group,
    "aws:ec2/flowLog:FlowLog": flow_log,
}
