"""Rules on CI/CD identities: no IAM user access keys, OIDC trust policies that pin audience and subject
(no wildcard repository), and deploy roles that trust only their own environment's CI role.

The pack imports nothing from components/: the role name prefixes are this rule's config (defaults:
the names components/settings/cicd_names.py gives, ``landing-zone-ci-<env>``, ``landing-zone-deploy-<env>``).
Sources: IAM User Guide, "Creating a role for web identity or OIDC federation"
(id_roles_create_for-idp_oidc.html, GitHub section: pin both ``:aud`` and ``:sub``) and "Security best
practices in IAM" (temporary credentials, not long-term access keys: best-practices.html).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.rules.base import Context, Props, _document, _is_map, _items

ACCESS_KEY = "aws:iam/accessKey:AccessKey"
ROLE = "aws:iam/role:Role"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
_EXACT = ("StringEquals",)
_PATTERN = ("StringEquals", "StringLike")


def no_access_keys(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """IAM user access keys are long-lived secrets; CI and people use roles (OIDC, Identity Center)."""
    yield f"IAM user access key for user {props.get('user')!r}: use a role with temporary credentials"


def _statements(props: Props) -> tuple[list[Mapping[str, Any]], str | None]:
    document, error = _document(props.get("assumeRolePolicy"))
    if error or not _is_map(document):
        return [], f"assumeRolePolicy {error or 'is not a policy document'}"
    return [s for s in _items(document.get("Statement")) if _is_map(s)], None


def _condition_values(statement: Mapping[str, Any], key: str, operators: tuple[str, ...]) -> list[str] | None:
    """The values ``key`` is compared with under one of ``operators``; None when it is not conditioned."""
    found: list[str] | None = None
    for operator, block in (statement.get("Condition") or {}).items():
        if operator in operators and _is_map(block) and key in block:
            found = (found or []) + [str(v) for v in _items(block[key])]
    return found


def oidc_trust_pinned(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """Every web-identity trust statement pins ``<issuer>:aud`` (exactly) and ``<issuer>:sub``, and no
    subject leaves the repository open (``repo:*``, ``repo:org/*``, ``repo:*/name``...)."""
    statements, problem = _statements(props)
    if problem:
        yield problem
        return
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Allow" or WEB_IDENTITY not in _items(statement.get("Action")):
            continue
        federated = [str(p) for p in _items(_get_principal(statement, "Federated"))]
        issuers = [arn.split(":oidc-provider/", 1)[1] for arn in federated if ":oidc-provider/" in arn]
        if len(issuers) != 1:
            yield f"Statement[{index}] trusts {federated or 'no'} OIDC provider; name exactly one"
            continue
        where, issuer = f"Statement[{index}].Condition", issuers[0]
        audiences = _condition_values(statement, f"{issuer}:aud", _EXACT)
        if not audiences or any(_wild(a) for a in audiences):
            yield f"{where} does not pin {issuer}:aud with StringEquals"
        subjects = _condition_values(statement, f"{issuer}:sub", _PATTERN)
        if not subjects:
            yield f"{where} does not pin {issuer}:sub: any workflow of any repository could assume the role"
            continue
        for subject in subjects:
            parts = subject.split(":")
            if len(parts) < 3 or _wild(parts[0]) or _wild(parts[1]) or "/" not in parts[1]:
                yield f"{where}: subject {subject!r} does not name one repository exactly"


def deploy_role_trust(resource_type: str, props: Props, ctx: Context) -> Iterator[str]:
    """A role named ``<deployRolePrefix><env>`` trusts only ``role/<ciRolePrefix><env>`` (same env), with
    an ``sts:ExternalId`` condition, and nothing else (no account root, service or web identity)."""
    name = str(props.get("name") or "")
    deploy_prefix, ci_prefix = str(ctx.config["deployRolePrefix"]), str(ctx.config["ciRolePrefix"])
    if not name.startswith(deploy_prefix):
        return
    environment = name[len(deploy_prefix):]
    statements, problem = _statements(props)
    if problem:
        yield problem
        return
    expected_suffix = f":role/{ci_prefix}{environment}"
    for index, statement in enumerate(statements):
        if statement.get("Effect") != "Allow":
            continue
        principal: Any = statement.get("Principal")
        aws = [str(p) for p in _items(_get_principal(statement, "AWS"))]
        others = [k for k in principal if k != "AWS"] if _is_map(principal) else ["*"]
        if others or not aws:
            yield f"Statement[{index}] trusts {principal!r}; a deploy role trusts only its CI role"
            continue
        for arn in aws:
            if not (arn.startswith("arn:aws:iam::") and arn.endswith(expected_suffix)) or _wild(arn):
                yield (f"Statement[{index}] trusts {arn!r}; {name} may trust only its environment's CI role "
                       f"(…{expected_suffix})")
        if not _condition_values(statement, "sts:ExternalId", _EXACT):
            yield f"Statement[{index}] has no StringEquals sts:ExternalId condition"


def _get_principal(statement: Mapping[str, Any], kind: str) -> Any:
    principal: Any = statement.get("Principal")
    return principal.get(kind) if _is_map(principal) else None


def _wild(value: str) -> bool:
    return "*" in value or "?" in value
