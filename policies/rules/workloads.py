"""Rules on the Tasks Service's workloads: ECS on ARM64, the Aurora baseline, Cognito MFA, and the
production invariants (their logic lives in policies/production_rules.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from pulumi_policy import PolicyResource

from policies.rules.base import (
    AWSX_FARGATE_SERVICE,
    Context,
    Props,
    StackFinding,
    _get,
)

# --- ECS: arm64 ---------------------------------------------------------------------------------


def ecs_arm64(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Task definitions run on ARM64 (Graviton): the image is built for linux/arm64 and costs less."""
    if resource_type == AWSX_FARGATE_SERVICE:
        task = props.get("taskDefinitionArgs")
        if task is None:  # an existing task definition by ARN: checked as its own resource
            return
        where = "taskDefinitionArgs.runtimePlatform.cpuArchitecture"
    else:
        task = props
        where = "runtimePlatform.cpuArchitecture"
    architecture = _get(task, "runtimePlatform", "cpuArchitecture")
    if architecture != "ARM64":
        shown = "unset (X86_64)" if architecture is None else repr(architecture)
        yield f"{where} is {shown}; this project runs its tasks on ARM64"


# --- Aurora ------------------------------------------------------------------------------------


def _is_aurora(props: Props) -> bool:
    return str(props.get("engine") or "").startswith("aurora")


def aurora_baseline(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Aurora clusters: Serverless v2, encrypted, a master password that is RDS-managed or generated.

    This project generates the password (random.RandomPassword, a Pulumi secret) and keeps it in the
    connection secret the Tasks image reads (components/tasks_database.py); ``plan`` checks that the
    cluster's password is that secret's (deploy/app_contract_check.py). A resource rule cannot tell a
    generated password from a literal one, so it asks only that there is exactly one source.
    """
    if not _is_aurora(props):
        return
    if props.get("engineMode") not in (None, "", "provisioned"):
        yield f"engineMode is {props.get('engineMode')!r}; Serverless v2 runs in 'provisioned' mode"
    scaling = _get(props, "serverlessv2ScalingConfiguration")
    if not scaling or _get(scaling, "maxCapacity") is None:
        yield "serverlessv2ScalingConfiguration (minCapacity, maxCapacity) is not set"
    if props.get("storageEncrypted") is not True:
        yield "storageEncrypted is not true"
    given = [key for key in ("masterPassword", "masterPasswordWo") if props.get(key) not in (None, "")]
    managed = props.get("manageMasterUserPassword") is True
    if managed and given:
        yield f"manageMasterUserPassword is true and {given[0]} is set: RDS accepts only one of them"
    elif not managed and not given:
        yield "no master password: set manageMasterUserPassword or a generated masterPassword"


def production_invariants(resources: Sequence[PolicyResource], ctx: Context) -> Iterable[StackFinding]:
    """A production stack's protections (unless opted out) and invariants: policies/production_rules.py."""
    from policies import production_rules  # its own module; it uses this one's helpers

    return production_rules.production_invariants(resources, ctx)

# --- Cognito -----------------------------------------------------------------------------------


def cognito_mfa(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """User pools require MFA, with TOTP (authenticator apps) enabled."""
    if props.get("mfaConfiguration") != "ON":
        yield f"mfaConfiguration is {props.get('mfaConfiguration') or 'unset (OFF)'!r}, not 'ON'"
    if _get(props, "softwareTokenMfaConfiguration", "enabled") is not True:
        yield "softwareTokenMfaConfiguration.enabled is not true: TOTP must be an MFA method"
