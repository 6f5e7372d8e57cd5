"""Risks a permission set keeps on purpose: admin-equivalence or privilege-escalation paths, each accepted
by name with a reason (``identityCenter.permissionSets[].acceptedRisks``).

The names are cloudsplaining's escalation paths and ``AdminEquivalent`` (iam_documents/iam_analysis.py).
A permission set whose policies open a path that no entry names is an error, and so is an entry that
names a path the policies no longer open: the list stays exactly what is accepted, so any new path
fails. The CrossGuard rule ``iam-privilege-escalation`` applies the same acceptance (the driver passes
it as policy config, :func:`accepted_by_permission_set`) to what the program declares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from components.settings.base import ConfigError, Model


def _risk_name(value: str) -> str:
    from iam_documents import iam_analysis

    known = iam_analysis.known_risks()
    if value not in known:
        raise ValueError(
            f"'{value}' is not a risk name: use AdminEquivalent or one of cloudsplaining's escalation "
            f"paths ({', '.join(sorted(known)[:3])}, ...; see docs/guardrails.md)"
        )
    return value


RiskName = Annotated[str, AfterValidator(_risk_name)]


def _reason(value: str) -> str:
    if not value.strip():
        raise ValueError("is blank: say why the risk is accepted")
    return value


class AcceptedRiskSettings(Model):
    """Risks kept on purpose, and why (the reason is required)."""

    paths: tuple[RiskName, ...] = Field(min_length=1)
    reason: Annotated[str, AfterValidator(_reason)] = Field(max_length=1000)


# The seed's provisioners set (iam_documents/permission_sets/provisioners.json) escalates by design: it may
# do everything outside iam, account and organizations, and manage roles and pass them. Plain data, so
# importing the settings does not import the analysis library.
_SEED_ACCEPTED_RISKS: tuple[dict[str, Any], ...] = (
    dict(
        reason="Provisioners deploy the workloads' IAM roles and their policies (the seed's design): "
        "creating, attaching, versioning and writing role policies and editing trust policies lets "
        "them give a role they can assume any permission.",
        paths=(
            "AttachRolePolicy",
            "AttachRolePolicyThenUpdateAssumeRolePolicy",
            "CreateNewPolicyVersion",
            "CreatePolicyVersionThenAssumeRole",
            "CreatePolicyVersionThenUpdateAssumeRolePolicy",
            "PutRolePolicy",
            "PutRolePolicyThenUpdateAssumeRolePolicy",
            "UpdateRolePolicyToAssumeIt",
        ),
    ),
    dict(
        reason="Provisioners launch compute and pipelines that run under roles (ECS, Lambda, "
        "CloudFormation, CodeBuild, Glue, ...), so they pass existing roles to those services.",
        paths=(
            "CreateEC2WithExistingIP",
            "PassExistingRoleToCloudFormation",
            "PassExistingRoleToNewAppRunnerService",
            "PassExistingRoleToNewBedrockCodeInterpreter",
            "PassExistingRoleToNewCloudFormationStackSet",
            "PassExistingRoleToNewCodeBuildProjectThenBuild",
            "PassExistingRoleToNewCodeBuildProjectThenBuildBatch",
            "PassExistingRoleToNewDataPipeline",
            "PassExistingRoleToNewEC2SpotInstance",
            "PassExistingRoleToNewECSClusterRunTask",
            "PassExistingRoleToNewECSClusterServiceTask",
            "PassExistingRoleToNewECSService",
            "PassExistingRoleToNewECSTaskViaRunTask",
            "PassExistingRoleToNewECSTaskViaStartTask",
            "PassExistingRoleToNewGlueDevEndpoint",
            "PassExistingRoleToNewGlueJobThenRun",
            "PassExistingRoleToNewGlueJobViaTrigger",
            "PassExistingRoleToNewLambdaThenAddPermission",
            "PassExistingRoleToNewLambdaThenInvoke",
            "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
            "PassExistingRoleToNewLambdaThenTriggerWithNewDynamo",
            "PassExistingRoleToNewSageMakerNotebookInstance",
            "PassExistingRoleToNewSageMakerProcessingJob",
            "PassExistingRoleToNewSageMakerTrainingJob",
            "PassExistingRoleToUpdatedGlueJobThenRun",
            "PassExistingRoleToUpdatedGlueJobViaTrigger",
            "PassRoleToUpdateCloudFormationStackSet",
        ),
    ),
    dict(
        reason="Provisioners hold every action outside iam, account and organizations (the seed's "
        "NotAction grant), so they can change code or open sessions that run under existing roles.",
        paths=(
            "AccessExistingBedrockCodeInterpreterSession",
            "CreatePresignedSageMakerNotebookUrl",
            "EC2InstanceConnectSendSSHPublicKey",
            "ECSExecuteCommandOnRunningTask",
            "EditExistingLambdaFunctionWithRole",
            "ExecuteCloudFormationChangeSet",
            "ModifyEC2InstanceUserDataThenRestart",
            "ModifyExistingEC2LaunchTemplate",
            "UpdateAndInvokeLambdaFunction",
            "UpdateExistingGlueDevEndpoint",
            "UpdateLambdaFunctionAndAddPermission",
            "UpdateSageMakerNotebookLifecycleConfig",
        ),
    ),
)


def seed_accepted_risks() -> tuple[AcceptedRiskSettings, ...]:
    return tuple(AcceptedRiskSettings.model_validate(entry) for entry in _SEED_ACCEPTED_RISKS)


def check_accepted_risks(
    accepted: Sequence[AcceptedRiskSettings],
    documents: Sequence[Mapping[str, Any]],
    *,
    name: str,
    source: str,
    where: str,
) -> None:
    """The permission set's risks (``documents``: the policies it holds) are exactly those accepted.

    ``where`` is the permission set's key (``landing-zone:identityCenter.permissionSets[0]``).
    """
    from iam_documents import iam_analysis

    named: dict[str, str] = {}
    for index, entry in enumerate(accepted):
        for path_index, path in enumerate(entry.paths):
            key = f"{where}.acceptedRisks[{index}].paths[{path_index}]"
            if path in named:
                raise ConfigError(source, key, f"'{path}' is already accepted at {named[path]}")
            named[path] = key
    risks = iam_analysis.analyze(documents).risks if documents else ()
    new = [risk for risk in risks if risk not in named]
    if new:
        shown = ", ".join(new[:8]) + (f" and {len(new) - 8} more" if len(new) > 8 else "")
        what = (
            f"is admin-equivalent and no entry accepts {iam_analysis.ADMIN_EQUIVALENT}"
            if new == [iam_analysis.ADMIN_EQUIVALENT]
            else f"opens privilege-escalation paths that no entry accepts: {shown}"
        )
        raise ConfigError(
            source,
            f"{where}.acceptedRisks",
            f"permission set '{name}' {what}; narrow its policies, or accept each risk by name with a reason",
        )
    for path, key in named.items():
        if path not in risks:
            raise ConfigError(
                source,
                key,
                f"permission set '{name}' no longer has the risk '{path}': remove it from the list",
            )


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def accepted_by_permission_set(identity_center: Any) -> dict[str, list[str]]:
    """Permission set name -> the risk names it accepts, from the raw ``identityCenter`` value of the org
    stack file (the seed's set when it declares no permission sets), for the CrossGuard rule's config.

    Tolerant: a malformed entry is left out; the config's own validation names it.
    """
    from components.settings.identity_center import default_permission_sets

    sets = identity_center.get("permissionSets") if isinstance(identity_center, Mapping) else None
    if sets is None:
        return {
            s.name: [p for risk in s.accepted_risks for p in risk.paths]
            for s in default_permission_sets()
            if s.accepted_risks
        }
    found: dict[str, list[str]] = {}
    for entry in sets if isinstance(sets, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            continue
        risks = entry.get("acceptedRisks")
        paths = [
            path
            for risk in (risks if isinstance(risks, list) else [])
            if isinstance(risk, Mapping)
            for path in _listed(risk.get("paths"))
            if isinstance(path, str)
        ]
        if paths:
            found[entry["name"]] = paths
    return found
