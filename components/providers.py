"""Explicit AWS providers, one per target account, each pinned with ``allowed_account_ids``.

No resource in this project uses the default provider: every stack file also sets
``pulumi:disable-default-providers: ["*"]`` so a resource that forgets its provider fails to deploy.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


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


def role_arn(account_id: pulumi.Input[str], role_name: str) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:iam::", account_id, ":role/", role_name)
