"""``python -m deploy bootstrap`` against moto (organizations, sts, s3, kms): the state account is reached
through the organization's access role; first run creates, second run changes nothing, a non-compliant
bucket is refused without --fix and fixed with it; the policies' contents."""

from __future__ import annotations

import fnmatch
import io
import json
import posixpath
import urllib.parse
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from components import config
from deploy import bootstrap, cli
from deploy.services import Services
from tests.configs import FIXTURE_STACKS

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An organization with the frozen org stack file's accounts (created by e-mail); returns key -> id."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        org = boto3.client("organizations", region_name=REGION)
        org.create_organization(FeatureSet="ALL")
        ids = {}
        for account in org_config().accounts:
            status = org.create_account(Email=account.email, AccountName=account.name)["CreateAccountStatus"]
            ids[account.key] = status["AccountId"]
        yield ids


def org_config() -> config.OrgConfig:
    loaded = config.load_stack_file("org", FIXTURE_STACKS)
    assert isinstance(loaded, config.OrgConfig)
    return loaded


def run(fix: bool = False) -> tuple[bootstrap.Target, Any, list[str]]:
    target, session = bootstrap.resolve_target(org_config(), boto3.Session)
    lines: list[str] = []
    bootstrap.bootstrap(session, target, fix=fix, emit=lines.append)
    return target, session, lines


def state_clients(ids: dict[str, str]) -> tuple[Any, Any]:
    """s3 and kms clients in the state account (through the access role, as the command does)."""
    _, session = bootstrap.resolve_target(org_config(), boto3.Session)
    assert session.client("sts").get_caller_identity()["Account"] == ids["deployments-prod"]
    return session.client("s3", region_name=REGION), session.client("kms", region_name=REGION)


def test_first_run_creates_a_protected_bucket_and_a_rotating_key_in_the_configured_account(
    aws: dict[str, str],
) -> None:
    target, _, lines = run()
    account = aws["deployments-prod"]
    assert target.account_id == account
    assert target.bucket == f"pulumi-state-{account}-{REGION}"
    assert target.backend_url == f"s3://pulumi-state-{account}-{REGION}?region={REGION}"
    assert target.secrets_provider == (
        f"awskms:///arn:aws:kms:{REGION}:{account}:alias/pulumi-state?region={REGION}"
    )
    assert all(line.startswith("  created: ") for line in lines[1:])

    s3, kms = state_clients(aws)
    # Created in the state account, not in the management account.
    assert target.bucket not in [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    key = kms.describe_key(KeyId="alias/pulumi-state")["KeyMetadata"]
    assert key["Arn"].split(":")[4] == account
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT" and key["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    assert s3.get_bucket_versioning(Bucket=target.bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=target.bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key["Arn"],
    }
    assert rule["BucketKeyEnabled"] is True
    blocks = s3.get_public_access_block(Bucket=target.bucket)["PublicAccessBlockConfiguration"]
    assert blocks == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    ownership = s3.get_bucket_ownership_controls(Bucket=target.bucket)["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_second_run_changes_nothing(aws: dict[str, str]) -> None:
    run()
    _, _, lines = run()
    assert lines[-1] == "  no change"
    assert not [line for line in lines if "created" in line or "changed" in line]


def test_bucket_policy_denies_plain_http_and_grants_the_state_to_the_team_only(
    aws: dict[str, str],
) -> None:
    target, _, _ = run()
    s3, kms = state_clients(aws)
    policy = json.loads(s3.get_bucket_policy(Bucket=target.bucket)["Policy"])
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    tls = statements["DenyInsecureTransport"]
    assert tls["Effect"] == "Deny" and tls["Principal"] == "*" and tls["Action"] == "s3:*"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(tls["Resource"]) == [f"arn:aws:s3:::{target.bucket}", f"arn:aws:s3:::{target.bucket}/*"]

    organization = boto3.client("organizations").describe_organization()["Organization"]
    org_id = organization["Id"]
    expected = [
        f"arn:aws:iam::{aws['deployments-sdlc']}:role/landing-zone-ci-*",
        f"arn:aws:iam::{aws['deployments-prod']}:role/landing-zone-ci-*",
        "arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_hiperium-sso-provisioners-ps_*",
        f"arn:aws:iam::{organization['MasterAccountId']}:*",
    ]
    allow = statements["AllowStateToTeam"]
    assert allow["Effect"] == "Allow"
    assert sorted(allow["Condition"]["ArnLike"]["aws:PrincipalArn"]) == sorted(expected)
    assert allow["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": org_id}
    others = statements["DenyStateToOthers"]
    assert others["Effect"] == "Deny"
    assert sorted(others["Condition"]["ArnNotLike"]["aws:PrincipalArn"]) == sorted(expected)
    assert set(others["Action"]) == set(allow["Action"]) >= {"s3:GetObject", "s3:PutObject"}

    key_id = kms.describe_key(KeyId="alias/pulumi-state")["KeyMetadata"][
        "KeyId"
    ]  # GetKeyPolicy takes no alias
    key_policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    by_sid = {statement["Sid"]: statement for statement in key_policy["Statement"]}
    assert by_sid["AccountAdministersKey"]["Principal"] == {
        "AWS": f"arn:aws:iam::{aws['deployments-prod']}:root"
    }
    use = by_sid["TeamUsesKey"]
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"} <= set(use["Action"])
    assert sorted(use["Condition"]["ArnLike"]["aws:PrincipalArn"]) == sorted(expected)
    assert use["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": org_id}


def denied_the_state(policy: dict[str, Any], principal_arn: str) -> bool:
    """Whether DenyStateToOthers applies to a principal (ArnNotLike on aws:PrincipalArn; the patterns'
    wildcards never need to span the ARN's ":" separators, so a glob over the whole ARN is ArnLike here)."""
    others = next(s for s in policy["Statement"] if s["Sid"] == "DenyStateToOthers")
    patterns = others["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    return not any(fnmatch.fnmatchcase(principal_arn, pattern) for pattern in patterns)


def test_management_credentials_keep_the_state_of_the_stacks_they_run(aws: dict[str, str]) -> None:
    """org, cicd and security run with management credentials (docs/driver.md, "Deploying for real"), and
    those credentials reach the bucket too: the explicit deny must not lock them out after migrate-state,
    while an administrator of the state account itself stays denied."""
    target, _, _ = run()
    s3, _ = state_clients(aws)
    policy = json.loads(s3.get_bucket_policy(Bucket=target.bucket)["Policy"])
    management = boto3.client("organizations").describe_organization()["Organization"]["MasterAccountId"]
    sso_admin = "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef"
    assert not denied_the_state(policy, f"arn:aws:iam::{management}:{sso_admin}")
    assert not denied_the_state(policy, f"arn:aws:iam::{management}:user/admin")
    assert denied_the_state(policy, f"arn:aws:iam::{aws['deployments-prod']}:{sso_admin}")
    assert denied_the_state(policy, f"arn:aws:iam::{aws['sandbox']}:role/OrganizationAccountAccessRole")


def test_an_existing_bucket_without_encryption_is_refused_without_fix_and_nothing_changes(
    aws: dict[str, str],
) -> None:
    s3, kms = state_clients(aws)
    bucket = f"pulumi-state-{aws['deployments-prod']}-{REGION}"
    s3.create_bucket(Bucket=bucket)  # no versioning, no SSE-KMS, no public-access block, no policy
    with pytest.raises(bootstrap.BootstrapRefused) as refused:
        run()
    message = str(refused.value)
    assert "\n" not in message and "--fix" in message and "nothing was changed" in message
    for missing in ("versioning", "SSE-KMS", "public-access blocks", "bucket policy"):
        assert missing in message
    # Checked before changing anything: not even the (missing) key was created.
    assert not [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/pulumi-state"]
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)

    _, _, lines = run(fix=True)
    assert any(line.startswith("  changed: versioning") for line in lines)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert run()[2][-1] == "  no change"


def test_a_key_with_rotation_off_is_fixed_only_with_fix(aws: dict[str, str]) -> None:
    run()
    _, kms = state_clients(aws)
    key_id = kms.describe_key(KeyId="alias/pulumi-state")["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key_id)
    with pytest.raises(bootstrap.BootstrapRefused, match="key rotation of alias/pulumi-state"):
        run()
    run(fix=True)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True


def gocloud_key_id(url: str) -> str:
    """The key id gocloud.dev's awskms URL opener sends to KMS Encrypt: host and path joined, a leading
    "/" (empty host) trimmed (gocloud.dev secrets/awskms kms.go, URLOpener.OpenKeeperURL)."""
    parts = urllib.parse.urlsplit(url)
    assert parts.scheme == "awskms"
    return posixpath.join(parts.netloc, parts.path.lstrip("/")).removeprefix("/")


def test_the_secrets_provider_names_the_key_by_its_alias_arn_so_other_accounts_can_encrypt(
    aws: dict[str, str],
) -> None:
    """Pulumi encrypts a new stack's data key with the URL's key id, and KMS looks an alias NAME up in
    the caller's account: the CI roles and provisioners of the other accounts would get NotFound. The id
    is the alias ARN the state account's KMS reports, and it encrypts there."""
    target, _, _ = run()
    key_id = gocloud_key_id(target.secrets_provider)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(target.secrets_provider).query) == {"region": [REGION]}
    _, kms = state_clients(aws)
    aliases = {a["AliasName"]: a["AliasArn"] for a in kms.list_aliases()["Aliases"]}
    assert key_id == aliases["alias/pulumi-state"]
    assert key_id.split(":")[4] == aws["deployments-prod"] != aws["deployments-sdlc"]
    assert kms.encrypt(KeyId=key_id, Plaintext=b"data key")["CiphertextBlob"]


def test_the_command_prints_the_backend_url_and_secrets_provider(aws: dict[str, str]) -> None:
    out = io.StringIO()
    services = Services(stdout=out, stderr=out, session_factory=boto3.Session, root=FIXTURE_STACKS)
    assert cli.main(["bootstrap"], services) == 0
    text = out.getvalue()
    bucket = f"pulumi-state-{aws['deployments-prod']}-{REGION}"
    assert f"export PULUMI_BACKEND_URL='s3://{bucket}?region={REGION}'" in text
    alias_arn = f"arn:aws:kms:{REGION}:{aws['deployments-prod']}:alias/pulumi-state"
    assert f"export PULUMI_SECRETS_PROVIDER='awskms:///{alias_arn}?region={REGION}'" in text
    out.truncate(0)
    assert cli.main(["bootstrap"], services) == 0
    assert "no change" in out.getvalue()


def test_state_backend_config_refuses_an_unknown_account_or_one_outside_deployments(
    org_raw: dict[str, Any],
) -> None:
    org_raw["stateBackend"] = {"account": "nope"}
    with pytest.raises(
        config.ConfigError, match=r"Pulumi\.org\.yaml: landing-zone:stateBackend\.account: unknown"
    ):
        config.load("org", org_raw)
    org_raw["stateBackend"] = {"account": "sandbox"}
    with pytest.raises(config.ConfigError, match="in OU 'Sandbox'; the state backend must be in"):
        config.load("org", org_raw)
    org_raw["stateBackend"] = {"account": "deployments-sdlc", "keyAlias": "alias/aws/s3"}
    with pytest.raises(
        config.ConfigError, match=r"stateBackend\.keyAlias: the alias/aws/ prefix is reserved"
    ):
        config.load("org", org_raw)
    org_raw["stateBackend"] = {"account": "deployments-sdlc", "bucketName": "Not_A_Bucket"}
    with pytest.raises(config.ConfigError, match=r"stateBackend\.bucketName"):
        config.load("org", org_raw)
    org_raw["stateBackend"] = {"account": "deployments-sdlc", "provisionerPermissionSets": ["ghost"]}
    with pytest.raises(config.ConfigError, match=r"provisionerPermissionSets\[0\]: unknown permission set"):
        config.load("org", org_raw)


def test_with_a_profile_the_state_goes_to_that_profiles_account_without_assuming_a_role(
    aws: dict[str, str],
) -> None:
    profiles: list[str | None] = []
    _, in_state_account = bootstrap.resolve_target(org_config(), boto3.Session)  # stands for the profile

    def session(**options: Any) -> Any:
        profiles.append(options.get("profile_name"))
        return in_state_account

    target, state_session = bootstrap.resolve_target(org_config(), session, profile="state-admin")
    assert profiles == ["state-admin"] and state_session is in_state_account
    assert target.account_id == aws["deployments-prod"]
    bootstrap.bootstrap(state_session, target, fix=False, emit=lambda _: None)
    assert target.bucket in [b["Name"] for b in in_state_account.client("s3").list_buckets()["Buckets"]]


def test_a_profile_of_another_account_is_refused(aws: dict[str, str]) -> None:
    management = boto3.client("sts").get_caller_identity()["Account"]
    with pytest.raises(bootstrap.SetupError, match=f"profile admin is account {management}, not the state"):
        bootstrap.resolve_target(org_config(), lambda **_: boto3.Session(region_name=REGION), profile="admin")
    assert boto3.client("s3").list_buckets()["Buckets"] == []
