"""Production: which stacks are production, what they keep whatever their config says, and the
invariants they must meet. One definition, used by every layer:

* the config layer (components/settings/production.py) refuses a production stack's file that lowers a
  protection without an opt-out, or breaks an invariant, before anything is declared;
* the program (components/production_accounts.py) checks the accounts against the org stack's outputs
  as soon as they resolve, before either account's provider exists;
* the driver: ``destroy`` leaves production stacks alone unless named (deploy/stacks.py), ``plan``
  prints every opt-out as a warning (deploy/production_check.py);
* the CrossGuard pack checks the same on the resources (policies/production_rules.py).

Production is a property of the stack's name, never of its config: a stack file cannot declare itself
non-production. A project makes another stack production by adding its name to PRODUCTION_STACKS.

This module is data and pure functions over plain values; it imports nothing from the project.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

PRODUCTION_STACKS: tuple[str, ...] = ("prod",)


def is_production_stack(stack: str) -> bool:
    return stack in PRODUCTION_STACKS


# --- Protections and their opt-outs -------------------------------------------------------------
# Each protection a production stack keeps, by the name a `productionOptOuts` entry gives to lower it.
# The list is fixed: an opt-out names exactly one protection of one resource.
OPT_OUTS: Mapping[str, str] = {
    "userPool.protect": "Pulumi protect on the Cognito user pool",
    "userPool.deletionProtection": "Cognito deletion protection of the user pool",
    "database.protect": "Pulumi protect on the Aurora cluster, its instances and its master password",
    "database.deletionProtection": "RDS deletion protection of the Aurora cluster",
    "database.finalSnapshot": "the Aurora cluster's final snapshot on deletion",
    "databaseSecret.protect": "Pulumi protect and the 30-day recovery window of the database secret",
    "loadBalancer.protect": "Pulumi protect on the application load balancer",
    "loadBalancer.deletionProtection": "ELB deletion protection of the application load balancer",
}


def opt_out_setting(stack: str, name: str) -> str:
    """How the pack's ``production-invariants.optOuts`` setting names one stack's opt-out."""
    return f"{stack}:{name}"


# --- Accounts ----------------------------------------------------------------------------------
# The seed's OUs (FACTS.md §1): production accounts sit under a `Prod` OU (Workloads/Prod,
# Deployments/Prod); Sandbox accounts are detached and capped; Suspended holds closed accounts.
PROD_OU = "Prod"
SANDBOX_OU = "Sandbox"
SUSPENDED_OU = "Suspended"
IDENTITY_KEY = "identityAccount.key"
WORKLOAD_KEY = "workloadAccount.key"


def _top(ou: str) -> str:
    return ou.split("/", 1)[0]


def _excluded(key: str, ou: str) -> str | None:
    if _top(ou) == SANDBOX_OU:
        return f"account '{key}' is in the Sandbox OU ('{ou}'), which production never uses"
    if _top(ou) == SUSPENDED_OU:
        return f"account '{key}' is in the Suspended OU ('{ou}'): it is being closed"
    return None


def _placement_problem(key: str, ou: str | None) -> str | None:
    """What both production accounts must satisfy: an OU the org exports, not Sandbox or Suspended."""
    if ou is None:
        return f"account '{key}' is in no OU the org stack exports"
    return _excluded(key, ou)


def workload_account_problem(key: str, account_ous: Mapping[str, str]) -> str | None:
    """Why a production stack cannot use ``key`` as its workload account: it must be in a Prod OU."""
    ou = account_ous.get(key)
    placement = _placement_problem(key, ou)
    if placement is not None or ou is None:  # a missing OU is a placement problem
        return placement
    if ou.rsplit("/", 1)[-1] != PROD_OU:
        return f"account '{key}' is in OU '{ou}', not in a Prod OU (such as Workloads/Prod)"
    return None


def identity_account_problem(
    key: str, account_ous: Mapping[str, str], non_production_identity: Mapping[str, str]
) -> str | None:
    """Why a production stack cannot use ``key`` as its IdP account: Sandbox, Suspended, or shared with
    a non-production stack (``non_production_identity``: key -> where that stack is named)."""
    placement = _placement_problem(key, account_ous.get(key))
    if placement is not None:
        return placement
    if key in non_production_identity:
        where = non_production_identity[key]
        return f"account '{key}' is the identity account of a non-production stack ({where})"
    return None


def account_problems(
    *,
    identity_key: str,
    workload_key: str,
    account_ous: Mapping[str, str],
    non_production_identity: Mapping[str, str],
) -> list[tuple[str, str]]:
    """(config key, problem) for a production stack's two accounts; empty when they are placed right.

    ``account_ous``: the org stack's ``account_ous`` output (account key -> OU path).
    """
    problems = [
        (IDENTITY_KEY, identity_account_problem(identity_key, account_ous, non_production_identity)),
        (WORKLOAD_KEY, workload_account_problem(workload_key, account_ous)),
    ]
    return [(key, problem) for key, problem in problems if problem is not None]


# --- Values ------------------------------------------------------------------------------------
# An image reference: [registry/]repository[:tag][@digest]. A tag follows the last '/' (a ':' before it
# is a registry port); Docker's tag grammar is [\w][\w.-]{0,127}; a digest pins the content itself.
IMAGE_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
IMAGE_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
MUTABLE_TAGS = ("latest",)
# Hosts for which a plain-http URL is accepted outside production (Cognito: "HTTPS over HTTP except for
# http://localhost", CreateUserPoolClient CallbackURLs); production accepts https only.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def image_problem(image: str) -> str | None:
    """Why ``image`` is not pinned (a tag other than ``latest``, or a sha256 digest), or None."""
    name, _, digest = image.partition("@")
    if digest:
        return None if IMAGE_DIGEST.match(digest) else f"'{image}' has a malformed digest (@sha256:<64 hex>)"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"'{image}' has no tag: it runs whatever the registry serves as latest"
    tag = last.split(":", 1)[1]
    if not IMAGE_TAG.match(tag):
        return f"'{image}' has a malformed tag '{tag}'"
    if tag.lower() in MUTABLE_TAGS:
        return f"'{image}' is tagged '{tag}', which moves; pin a version tag or a digest"
    return None


def web_url_problem(url: str, *, production: bool, what: str = "URL") -> str | None:
    """Why ``url`` (a redirect URL or a CORS origin) is not https (http://localhost outside production)."""
    parts = urlsplit(url)
    if "*" in url:
        return f"'{url}' contains a wildcard '*': {what}s are matched exactly, so list each one"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        if production:
            return f"'{url}' is not https; production accepts only https {what}s"
        if parts.hostname not in LOOPBACK_HOSTS:
            return f"'{url}' is not https; plain http is accepted only for localhost"
        return None
    return f"'{url}' is not an absolute http(s) URL"
