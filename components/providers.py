"""Explicit providers, one per target account: AWS providers pinned with ``allowed_account_ids``, and
the awsx provider for the awsx components in an account.

No resource in this project uses the default provider: every stack file also sets
``pulumi:disable-default-providers: ["*"]`` so a resource that forgets its provider fails to deploy
(``python -m deploy plan`` checks it first: deploy/engine_rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx


def account_provider(
    name: str,
    *,
    account_id: pulumi.Input[str],
    region: str,
    role_arn: pulumi.Input[str] | None = None,
    profile: str | None = None,
    session_name: str = "landing-zone",
    default_tags: Mapping[str, str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> aws.Provider:
    """A provider for one account: the caller's credentials, a named AWS profile, or an assumed role.

    ``allowed_account_ids`` makes the provider refuse to act if the credentials resolve to any other
    account, so a wrong profile can never create resources in the wrong place.
    """
    assume_role = (
        [aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name=session_name)] if role_arn else None
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
    return pulumi.Output.concat("arn:aws:iam::", account_id, ":role/", role_name)


# --- Environment stacks: accounts from the org stack -----------------------------------------


class OrgOutputError(pulumi.RunError):
    """The org stack's outputs lack what an environment stack needs. ``str()`` is one line.

    Raised inside an apply (the outputs are only known then); being a ``RunError``, the engine shows
    the message without a traceback.
    """


class OrgStack:
    """The org stack's exports, read through a ``StackReference``."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        self.name = name
        self.reference = pulumi.StackReference(name, stack_name=name, opts=opts)

    def _required(self, output: str) -> pulumi.Output[Any]:
        def check(value: Any) -> Any:
            if value is None:
                raise OrgOutputError(
                    f"stack '{self.name}' exports no '{output}'; deploy it first (pulumi up -s org)"
                )
            return value

        return self.reference.get_output(output).apply(check)

    @property
    def management_account_id(self) -> pulumi.Output[str]:
        return self._required("management_account_id")

    @property
    def access_role_name(self) -> pulumi.Output[str]:
        return self._required("access_role_name")

    def account_id(self, key: str, *, source: str, config_key: str) -> pulumi.Output[str]:
        """The id of the member account ``key``; never the management account.

        ``source`` and ``config_key`` (the stack file and the key that named the account) lead the
        error message, as for a config error.
        """

        def resolve(values: list[Any]) -> str:
            accounts, management_account_id = values
            known = accounts if isinstance(accounts, Mapping) else {}
            if key not in known:
                listed = ", ".join(sorted(known)) or "none"
                raise OrgOutputError(
                    f"{source}: {config_key}: account '{key}' is not among the accounts exported by "
                    f"stack '{self.name}' (exported: {listed})"
                )
            account_id = str(known[key])
            if account_id == str(management_account_id):
                raise OrgOutputError(
                    f"{source}: {config_key}: account '{key}' is the management account "
                    f"({account_id}); environment resources never go there"
                )
            return account_id

        return pulumi.Output.all(self._required("accounts"), self.management_account_id).apply(resolve)
