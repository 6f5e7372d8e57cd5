"""``plan``'s cross-check of the cicd stack against the other stack files.

The cicd stack's config says which accounts each environment's CI deploys to (``ci.environments[].targets``);
the environment stack files say where that environment's resources go (``identityAccount``,
``workloadAccount``). A CI run assumes the deploy role in each of those accounts, so an account missing
from the targets fails there on AWS ("not authorized to perform sts:AssumeRole"), which no mock shows.
The CI roles' state permissions name the backend; it must be the one the org stack file's
``stateBackend`` (what ``python -m deploy bootstrap`` creates) names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components import config as stack_config
from components.settings.cicd import KEY, CicdConfig
from deploy.stack_checks import ERROR, WARNING, Finding, StackContext

CHECK = "cicd"


def check_cicd_targets(context: StackContext) -> list[Finding]:
    if not isinstance(context.settings, CicdConfig):
        return []
    from components.production_accounts import environment_stacks

    settings, root = context.settings, context.root
    findings: list[Finding] = []
    by_name = {environment.name: (index, environment)
               for index, environment in enumerate(settings.environments)}
    for stack in environment_stacks(root):
        try:
            env = stack_config.load_stack_file(stack, root)
        except stack_config.ConfigError:
            continue  # that stack's own config check reports it
        if not isinstance(env, stack_config.EnvConfig):
            continue
        if env.environment not in by_name:
            findings.append(Finding(CHECK, WARNING, f"{context.source}: {KEY}.environments",
                                    f"names no CI for environment '{env.environment}' "
                                    f"({stack_config.stack_file(stack)}): only a person can deploy it"))
            continue
        index, ci = by_name[env.environment]
        accounts = (("identityAccount", env.identity_account), ("workloadAccount", env.workload_account))
        for key, access in accounts:
            if access.key not in ci.targets:
                findings.append(Finding(
                    CHECK, ERROR, f"{context.source}: {KEY}.environments[{index}].targets",
                    f"lacks '{access.key}', the {key} of {stack_config.stack_file(stack)}: CI could not "
                    "assume a deploy role there"))
    findings += _state_backend(context, settings, root)
    return findings


def _state_backend(context: StackContext, settings: CicdConfig, root: Any) -> list[Finding]:
    try:
        org = stack_config.read_stack_file_config(stack_config.ORG_STACK, root)
    except stack_config.ConfigError:
        return []
    declared = org.get(f"{stack_config.PROJECT}:stateBackend")
    if not isinstance(declared, Mapping):
        return []
    ours = settings.ci.state_backend
    findings = []
    fields = (("account", ours.account), ("bucketName", ours.bucket_name), ("keyAlias", ours.key_alias),
              ("region", ours.region))
    for field, value in fields:
        theirs = declared.get(field)
        if theirs is not None and theirs != value:
            findings.append(Finding(
                CHECK, ERROR, f"{context.source}: {KEY}.stateBackend.{field}",
                f"{value!r} differs from Pulumi.org.yaml's stateBackend.{field} ({theirs!r}): the CI roles "
                "would be granted another backend than the one bootstrap creates"))
    return findings
