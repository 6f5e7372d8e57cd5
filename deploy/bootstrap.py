"""``python -m deploy bootstrap``: create or adopt the shared state backend (S3 bucket + KMS key).

The backend cannot be managed by the stacks stored in it, so this is plain boto3, idempotent: it reads
what exists, decides every change first, and only then applies them. A bucket or key that exists but
lacks a protection (versioning, SSE-KMS with the key, the four public-access blocks, BucketOwnerEnforced,
the policy; key rotation, the key policy) is fixed only with ``--fix``; without it the command refuses
with one line naming what is missing and changes nothing.

Where: the account of the org stack's ``landing-zone:stateBackend`` (components/settings/state_backend.py),
reached from management credentials through the organization's access role, as deploy/readiness.py
reaches accounts, or directly with ``--profile``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from components import config as stack_config
from components.settings.cicd_names import state_bucket_name
from components.settings.landing_zone import in_ou
from components.settings.state_backend import (
    STATE_OU,
    StateBackendSettings,
    provisioner_permission_sets,
)
from deploy import state_policies
from deploy.runner import EXIT_OK, DeployError, SetupError

SESSION_NAME = "landing-zone-bootstrap"
SECRETS_VAR = "PULUMI_SECRETS_PROVIDER"
HELP = "create or adopt the shared state backend (S3 bucket + KMS key) and print the values to use"

SessionFactory = Callable[..., Any]  # boto3.Session's keywords


class BootstrapRefused(DeployError):
    """An existing bucket or key lacks a protection and --fix was not given (or cannot fix it)."""


@dataclass(frozen=True)
class Target:
    """The resolved backend: where, named what, and who may use it."""

    account_key: str
    account_id: str
    region: str
    bucket: str
    key_alias: str
    org_id: str
    principals: tuple[str, ...]
    ci_accounts_known: bool = True  # False: a member account's profile could not list the organization

    @property
    def backend_url(self) -> str:
        # DIY backend on S3: s3://<bucket>?region=<region>
        # (https://www.pulumi.com/docs/iac/concepts/state-and-backends/#aws-s3)
        return f"s3://{self.bucket}?region={self.region}"

    @property
    def secrets_provider(self) -> str:
        # The alias ARN, not the alias name: the CI roles and provisioners of the other accounts encrypt a
        # new stack's data key with it (gocloud.dev secrets/awskms sends the URL's key id as Encrypt's KeyId),
        # and KMS resolves an alias name in the caller's account ("To specify a KMS key in a different AWS
        # account, you must use its key ARN or alias ARN", KMS API Reference, Encrypt, KeyId). An ARN holds
        # ":", so it goes in the path: awskms:///<ARN> (gocloud.dev secrets/awskms kms.go URLOpener;
        # pulumi/pulumi#5156).
        alias_arn = f"arn:aws:kms:{self.region}:{self.account_id}:{self.key_alias}"
        return f"awskms:///{alias_arn}?region={self.region}"


@dataclass
class Step:
    what: str
    apply: Callable[[], None]
    creates: bool  # part of creating a missing resource, not a fix of an existing one


@dataclass
class Inspection:
    steps: list[Step] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # what an existing resource lacks (needs --fix)
    unfixable: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fix", action="store_true", help="bring an existing bucket or key up to the required protections"
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="AWS profile of the state account itself (default: management credentials "
        "and the organization's access role)",
    )


def run(
    args: argparse.Namespace,
    root: Any,
    emit: Callable[[str], None],
    session_factory: SessionFactory | None = None,
) -> int:
    org = stack_config.load_stack_file(stack_config.ORG_STACK, root)
    assert isinstance(org, stack_config.OrgConfig)
    if session_factory is None:
        import boto3

        session_factory = boto3.Session
    target, session = resolve_target(org, session_factory, profile=args.profile)
    if not target.ci_accounts_known:
        emit(
            f"note: these credentials cannot list the organization's accounts, so the CI roles are matched "
            f"in any account of organization {target.org_id}; run from management credentials to pin them to "
            f"the {STATE_OU} accounts (then with --fix)"
        )
    bootstrap(session, target, fix=args.fix, emit=emit)
    emit("Use this backend and secrets provider (CI: the same values as variables):")
    emit(f"  export PULUMI_BACKEND_URL='{target.backend_url}'")
    emit(f"  export {SECRETS_VAR}='{target.secrets_provider}'")
    emit('Move existing stacks there with: python -m deploy migrate-state --to "$PULUMI_BACKEND_URL"')
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# Where
# --------------------------------------------------------------------------------------------


def resolve_target(
    org: stack_config.OrgConfig, session_factory: SessionFactory, *, profile: str | None = None
) -> tuple[Target, Any]:
    """The target and a boto3 session in its account."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    settings = org.state_backend or StateBackendSettings()
    region = settings.region or org.region
    wanted = next((account for account in org.accounts if account.key == settings.account), None)
    if wanted is None or not in_ou(wanted.ou, STATE_OU):  # the config check covers a stack file that sets it
        raise SetupError(
            f"the state account '{settings.account}' is not an account of the {STATE_OU} OU "
            f"in {stack_config.stack_file('org')}; set landing-zone:stateBackend.account"
        )
    try:
        base = (
            session_factory(profile_name=profile, region_name=region)
            if profile
            else session_factory(region_name=region)
        )
        organizations = base.client("organizations", region_name=region)
        organization = organizations.describe_organization()["Organization"]
        org_id, management_id = organization["Id"], organization["MasterAccountId"]
        listed = _organization_accounts(organizations)
        if profile:
            account_id = base.client("sts", region_name=region).get_caller_identity()["Account"]
            session = base
            expected = _account_id(listed, wanted.key, wanted.email, wanted.name)
            if expected not in ("*", account_id):  # "*": a member account may not list the organization
                raise SetupError(
                    f"profile {profile} is account {account_id}, not the state account {wanted.key} "
                    f"({expected}) that landing-zone:stateBackend.account names"
                )
        else:
            account_id = _account_id(listed, wanted.key, wanted.email, wanted.name)
            session = _assume(base, account_id, org.access_role_name, region)
    except NoCredentialsError:
        raise SetupError(
            "no AWS credentials: set AWS_PROFILE (management account) or pass --profile"
        ) from None
    except (ClientError, BotoCoreError) as error:
        raise SetupError(f"cannot reach the state account: {error}") from None
    ci_ids = [
        _account_id(listed, account.key, account.email, account.name)
        for account in org.accounts
        if in_ou(account.ou, STATE_OU) and listed is not None
    ]
    permission_sets = provisioner_permission_sets(
        settings, (permission_set.name for permission_set in org.identity_center.permission_sets)
    )
    principals = (
        *state_policies.ci_principals(ci_ids),
        *state_policies.provisioner_principals(permission_sets),
        *state_policies.management_principals(management_id),
    )
    target = Target(
        account_key=wanted.key,
        account_id=account_id,
        region=region,
        bucket=settings.bucket_name or state_bucket_name(account_id, region),
        key_alias=settings.key_alias,
        org_id=org_id,
        principals=principals,
        ci_accounts_known=listed is not None,
    )
    return target, session


def _organization_accounts(organizations: Any) -> list[dict[str, Any]] | None:
    """Every account of the organization, or None where the caller may not list them (a member account)."""
    from botocore.exceptions import ClientError

    try:
        pages = organizations.get_paginator("list_accounts").paginate()
        listed = [account for page in pages for account in page["Accounts"]]
    except ClientError:
        return None
    return listed or None  # an organization lists at least its management account: empty is not seeing it


def _account_id(listed: list[dict[str, Any]] | None, key: str, email: str, name: str) -> str:
    if listed is None:
        return "*"  # with --profile in a member account: any account of the organization
    for account in listed:
        if account.get("Email", "").lower() == email.lower() or account.get("Name") == name:
            return str(account["Id"])
    raise SetupError(
        f"account '{key}' ({email}) is not in the organization yet; run `python -m deploy up "
        "--stack org` first"
    )


def _assume(base: Any, account_id: str, role_name: str, region: str) -> Any:
    from iam_documents.access_role import role_arn

    credentials = base.client("sts", region_name=region).assume_role(
        RoleArn=role_arn(account_id, role_name), RoleSessionName=SESSION_NAME
    )["Credentials"]
    return type(base)(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


# --------------------------------------------------------------------------------------------
# What: inspect everything, then change
# --------------------------------------------------------------------------------------------


def bootstrap(session: Any, target: Target, *, fix: bool, emit: Callable[[str], None]) -> list[str]:
    """Create or adopt the key and the bucket; returns what was done (also emitted)."""
    kms = session.client("kms", region_name=target.region)
    s3 = session.client("s3", region_name=target.region)
    key = KeyInspector(kms, target)
    found = key.inspect()
    bucket = inspect_bucket(s3, target, key.current_arn)
    problems = found.unfixable + bucket.unfixable
    if problems:
        raise BootstrapRefused(f"cannot adopt the state backend: {'; '.join(problems)}")
    missing = found.missing + bucket.missing
    if missing and not fix:
        raise BootstrapRefused(
            f"the existing state backend in {target.account_key} ({target.account_id}) lacks: "
            f"{'; '.join(missing)}; nothing was changed. Run again with --fix to fix it"
        )
    done: list[str] = []
    emit(f"State backend in {target.account_key} ({target.account_id}), {target.region}:")
    for step in found.steps + bucket.steps:
        step.apply()
        line = f"  {'created' if step.creates else 'changed'}: {step.what}"
        done.append(line)
        emit(line)
    for what in found.kept + bucket.kept:
        emit(f"  left as it is: {what}")
    if not done:
        emit("  no change")
    return done


class KeyInspector:
    """The KMS key behind the alias: symmetric, enabled, rotating, with the team's key policy."""

    def __init__(self, kms: Any, target: Target) -> None:
        self.kms = kms
        self.target = target
        self.arn: str | None = None
        self.policy = state_policies.key_policy(target.account_id, target.principals, target.org_id)

    def current_arn(self) -> str | None:
        """The key's ARN once it exists (after its creation step has run, for a new key)."""
        return self.arn

    def inspect(self) -> Inspection:
        from botocore.exceptions import ClientError

        result = Inspection()
        alias = self.target.key_alias
        try:
            metadata = self.kms.describe_key(KeyId=alias)["KeyMetadata"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "NotFoundException":
                raise
            result.steps.append(
                Step(f"KMS key {alias} (symmetric, rotation on, key policy)", self._create, True)
            )
            return result
        self.arn = str(metadata["Arn"])
        key_id = metadata["KeyId"]
        if (
            metadata.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
            or metadata.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT"
        ):
            result.unfixable.append(f"KMS key {alias} is not a symmetric encryption key")
        if metadata.get("KeyState") != "Enabled" or metadata.get("KeyManager") != "CUSTOMER":
            result.unfixable.append(f"KMS key {alias} is not an enabled customer managed key")
        if not self.kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]:
            result.missing.append(f"key rotation of {alias}")
            result.steps.append(
                Step(f"key rotation of {alias} on", lambda: self.kms.enable_key_rotation(KeyId=key_id), False)
            )
        stored = self.kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
        if not state_policies.same_policy(stored, self.policy):
            result.missing.append(f"the team's key policy on {alias}")
            result.steps.append(
                Step(
                    f"key policy of {alias}",
                    lambda: self.kms.put_key_policy(
                        KeyId=key_id, PolicyName="default", Policy=json.dumps(self.policy)
                    ),
                    False,
                )
            )
        if not result.steps:
            result.kept.append(f"KMS key {alias} ({self.arn})")
        return result

    def _create(self) -> None:
        created = self.kms.create_key(
            Policy=json.dumps(self.policy),
            Description="Pulumi secrets provider of the landing zone's stacks",
            KeySpec="SYMMETRIC_DEFAULT",
            KeyUsage="ENCRYPT_DECRYPT",
            Tags=[{"TagKey": "managed-by", "TagValue": "python -m deploy bootstrap"}],
        )["KeyMetadata"]
        self.arn = str(created["Arn"])
        self.kms.enable_key_rotation(KeyId=created["KeyId"])
        self.kms.create_alias(AliasName=self.target.key_alias, TargetKeyId=created["KeyId"])


PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def inspect_bucket(s3: Any, target: Target, key_arn: Callable[[], str | None]) -> Inspection:
    """What the bucket lacks; the steps that create it or bring it up to the protections."""
    from botocore.exceptions import ClientError

    bucket = target.bucket
    result = Inspection()
    policy = state_policies.bucket_policy(bucket, target.principals, target.org_id)
    configure = _configurators(s3, bucket, policy, key_arn)
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=target.account_id)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code not in ("404", "NoSuchBucket", "NotFound"):
            result.unfixable.append(f"bucket {bucket} exists but not in account {target.account_id} ({code})")
            return result
        result.steps.append(Step(f"bucket {bucket}", lambda: _create_bucket(s3, bucket, target.region), True))
        for what, apply in configure.values():
            result.steps.append(Step(what, apply, True))
        return result
    location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    if location != target.region:
        result.unfixable.append(f"bucket {bucket} is in {location}, not {target.region}")
    current = _bucket_state(s3, bucket)
    checks = {
        "versioning": current["versioning"] == "Enabled",
        "encryption": current["encryption"] == ("aws:kms", key_arn(), True),  # a new key: never equal
        "public_access": current["public_access"] == PUBLIC_ACCESS_BLOCK,
        "ownership": current["ownership"] == "BucketOwnerEnforced",
        "policy": state_policies.same_policy(current["policy"], policy),
    }
    for name, ok in checks.items():
        what, apply = configure[name]
        if not ok:
            result.missing.append(f"{what} on bucket {bucket}")
            result.steps.append(Step(what, apply, False))
    if not result.steps:
        result.kept.append(f"bucket {bucket}")
    return result


def _configurators(
    s3: Any, bucket: str, policy: dict[str, Any], key_arn: Callable[[], str | None]
) -> dict[str, tuple[str, Callable[[], None]]]:
    def encrypt() -> None:
        arn = key_arn()
        if arn is None:
            raise RuntimeError("the state key must exist before the bucket's encryption is set")
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": arn,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )

    return {
        "public_access": (
            "all four public-access blocks",
            lambda: s3.put_public_access_block(
                Bucket=bucket, PublicAccessBlockConfiguration=dict(PUBLIC_ACCESS_BLOCK)
            ),
        ),
        "ownership": (
            "object ownership BucketOwnerEnforced (ACLs off)",
            lambda: s3.put_bucket_ownership_controls(
                Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
            ),
        ),
        "versioning": (
            "versioning",
            lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}),
        ),
        "encryption": ("default encryption SSE-KMS with the state key (bucket key)", encrypt),
        "policy": (
            "bucket policy (TLS only; the CI roles and provisioners only)",
            lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy)),
        ),
    }


def _create_bucket(s3: Any, bucket: str, region: str) -> None:
    # us-east-1 takes no LocationConstraint (CreateBucket API reference).
    extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced", **extra)


def _bucket_state(s3: Any, bucket: str) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    def read(call: Callable[[], Any], absent: tuple[str, ...]) -> Any:
        try:
            return call()
        except ClientError as error:
            if error.response["Error"]["Code"] in absent:
                return None
            raise

    encryption = read(
        lambda: s3.get_bucket_encryption(Bucket=bucket), ("ServerSideEncryptionConfigurationNotFoundError",)
    )
    rules = (encryption or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    blocks = read(
        lambda: s3.get_public_access_block(Bucket=bucket), ("NoSuchPublicAccessBlockConfiguration",)
    )
    ownership = read(
        lambda: s3.get_bucket_ownership_controls(Bucket=bucket), ("OwnershipControlsNotFoundError",)
    )
    policy = read(lambda: s3.get_bucket_policy(Bucket=bucket), ("NoSuchBucketPolicy",))
    owner_rules = (ownership or {}).get("OwnershipControls", {}).get("Rules", [])
    return {
        "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
        "encryption": (
            default.get("SSEAlgorithm"),
            default.get("KMSMasterKeyID"),
            bool(rules and rules[0].get("BucketKeyEnabled")),
        )
        if rules
        else None,
        "public_access": (blocks or {}).get("PublicAccessBlockConfiguration"),
        "ownership": owner_rules[0].get("ObjectOwnership") if owner_rules else None,
        "policy": (policy or {}).get("Policy"),
    }
