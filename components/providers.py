"""Explicit providers, one per target account: AWS providers pinned with ``allowed_account_ids``, and
the awsx provider for the awsx components in an account.

No resource in this project uses the default provider: every stack file also sets
``pulumi:disable-default-providers: ["*"]`` so a resource that forgets its provider fails to deploy
(``python -m deploy plan`` checks it first: deploy/engine_rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components.settings.base import PROJECT, ConfigError
from iam_documents import access_role

MANAGED_BY = "pulumi/landing-zone"  # the managed-by tag of every resource the project declares


def project_tags(tags: Mapping[str, str] | None = None) -> dict[str, str]:
    """Default tags of a stack's providers: its own tags, then the reserved project and managed-by keys
    (which its tags cannot override)."""
    return {**(tags or {}), "project": PROJECT, "managed-by": MANAGED_BY}


def member_account_id(outputs: Mapping[str, Any], account: str, *, key: str, source: str,
                      org_stack: str) -> str:
    """The id the org stack exports for member ``account``. A key it does not export, or the management
    account, is a ConfigError naming ``key`` of ``source`` (before anything is declared)."""
    accounts = outputs.get("accounts")
    known: Mapping[str, Any] = accounts if isinstance(accounts, Mapping) else {}
    if account not in known:
        raise ConfigError(source, key, f"unknown account key '{account}' (the {org_stack} stack "
                                       f"exports: {', '.join(sorted(known)) or 'none'})")
    if str(known[account]) == str(outputs.get("management_account_id") or ""):
        raise ConfigError(source, key, f"'{account}' is the management account")
    return str(known[account])


def account_provider(
    name: str,
    *,
    account_id: pulumi.Input[str],
    region: str,
    role_arn: pulumi.Input[str] | None = None,
    profile: str | None = None,
    session_name: str = "landing-zone",
    external_id: str | None = None,
    default_tags: Mapping[str, str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.Provider:
    """A provider for one account: the caller's credentials, a named AWS profile, or an assumed role.

    ``allowed_account_ids`` makes the provider refuse to act if the credentials resolve to any other
    account, so a wrong profile can never create resources in the wrong place. ``external_id``: the
    ``sts:ExternalId`` the role's trust policy requires (the CI deploy roles).
    """
    assume_role = (
        [aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name=session_name, external_id=external_id)]
        if role_arn
        else None
    )
    return aws.Provider(
        name,
        region=region,
        profile=profile,
        assume_roles=assume_role,
        allowed_account_ids=[account_id],
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(default_tags)) if default_tags else None,
        opts=opts,
    )


def awsx_provider(name: str, opts: pulumi.ResourceOptions | None = None) -> awsx.Provider:
    """The explicit awsx provider of one account, declared next to that account's aws provider.

    An awsx component (the VPC) is a remote component of package ``awsx``: with default providers
    disabled the engine refuses it unless it gets ``provider=`` a provider of its own package
    ("Default provider for 'awsx' disabled", pulumi/pulumi#13071; the engine's check is in
    pkg/resource/deploy/source_eval.go, ``resmon.RegisterResource``). The awsx provider has no settings:
    the children it creates use the account's aws provider, passed as ``providers={"aws": ...}``.
    """
    return awsx.Provider(name, opts=opts)


def role_arn(account_id: pulumi.Input[str], role_name: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.all(account_id, role_name).apply(lambda parts: access_role.role_arn(*parts))


# --- Environment stacks: the org stack's outputs ---------------------------------------------

# The engine's built-in provider serves this function: it returns what a StackReference reads (name,
# outputs, secretOutputNames) from the same backend call (pulumi/pulumi pkg/resource/deploy/builtins.go,
# ``builtinProvider.Invoke`` -> ``readStackReference``). The ``pulumi`` package is never refused by
# ``pulumi:disable-default-providers`` (source_eval.go ``defaultProviders.shouldDenyRequest``).
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"


@dataclass(frozen=True)
class OrgStack:
    """The org stack's outputs as an environment stack reads them: once, before anything is declared.

    Why an invoke and not the ``StackReference``'s outputs: a StackReference's outputs are Outputs,
    known only inside an apply, after the program has gone on to declare the VPC, the ALB and the rest
    (a real ``up`` would create them before a bad account key is reported). ``pulumi.runtime.invoke`` is
    the SDK's public synchronous call (pulumi/runtime/invoke.py ``invoke`` blocks on the engine's answer
    with ``_sync_await``), so the program holds the plain outputs before its first registration. The
    engine runs invokes in previews too, and the built-in provider reads the backend regardless of
    preview, so ``pulumi preview``, ``pulumi up -s pre`` and the driver all see the same values. Secret
    outputs arrive unwrapped (``rpc.deserialize_properties_unwrap_secrets``); ``secret_outputs`` names
    them so :meth:`value` keeps them secret. Under the mock runtime the function is answered by
    deploy/simulate.py from the same outputs as the mocked StackReference.
    """

    name: str
    outputs: Mapping[str, Any]
    secret_outputs: frozenset[str] = frozenset()

    @classmethod
    def read(cls, name: str, *, source: str) -> OrgStack:
        """The outputs of stack ``name``; ConfigError (on ``orgStack`` of ``source``) if it cannot be read."""
        config_key = f"{PROJECT}:orgStack"
        try:
            result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": name})
        except Exception as error:  # the engine's failure (no such stack, no backend access) as one line
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            message = f"cannot read the outputs of stack '{name}': {reason}"
            raise ConfigError(source, config_key, message) from None
        value = result.value if result.is_known else None
        if not isinstance(value, Mapping):
            raise ConfigError(source, config_key, f"the outputs of stack '{name}' are not known; nothing "
                                                  "can be checked against them")
        outputs = value.get("outputs") or {}
        secret = value.get("secretOutputNames") or ()
        return cls(name, dict(outputs), frozenset(str(n) for n in secret))

    def declare_reference(self, opts: pulumi.ResourceOptions | None = None) -> pulumi.StackReference:
        """The StackReference, declared after the checks: the state records that this stack reads org."""
        return pulumi.StackReference(self.name, stack_name=self.name, opts=opts)

    def value(self, output: str, value: str) -> pulumi.Input[str]:
        """``value``, taken from the export ``output``: secret if the org stack marks that export secret."""
        return pulumi.Output.secret(value) if output in self.secret_outputs else value
