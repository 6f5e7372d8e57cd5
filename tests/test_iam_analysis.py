"""Admin-equivalence and privilege escalation, judged semantically (iam_documents/iam_analysis.py,
cloudsplaining):
the bypasses of a literal ``Allow * on *`` pattern, the seed's accepted risks in config, and the CrossGuard
rule ``iam-privilege-escalation`` on what the programs declare."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components import config
from deploy import policy_config
from deploy.simulate import Recording
from iam_documents import documents, iam_analysis
from policies import guardrails as g
from tests.configs import FIXTURE_STACKS, stack_values
from tests.conftest import run_env_stack, run_stack
from tests.test_guardrails import resource

RULE = "iam-privilege-escalation"
PROVISIONERS = json.loads((documents.PERMISSION_SET_DIR / "provisioners.json").read_text())
SEED_SET = "hiperium-sso-provisioners-ps"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource_: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource_, **extra}


def analyze(*documents_: dict[str, Any]) -> iam_analysis.Analysis:
    return iam_analysis.analyze(documents_)


# ------------------------------------------------------------------------------------------------
# The analysis
# ------------------------------------------------------------------------------------------------

BYPASSES = {
    "NotAction iam:* plus Action iam:*": [
        policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, allow("iam:*"))
    ],
    "the split over two documents": [
        policy({"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"}),
        policy(allow("iam:*")),
    ],
    "* with StringLike aws:PrincipalArn *": [
        policy(allow("*", Condition={"StringLike": {"aws:PrincipalArn": "*"}}))
    ],
    "* with Null aws:PrincipalArn false": [
        policy(allow("*", Condition={"Null": {"aws:PrincipalArn": "false"}}))
    ],
    "* with MFA required": [policy(allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))],
    "* with a negated condition": [
        policy(allow("*", Condition={"StringNotEquals": {"iam:PassedToService": "nothing.amazonaws.com"}}))
    ],
    "Resource arn:*": [policy(allow("*", "arn:*"))],
    "Resource arn:aws:*:*:*:*": [policy(allow("*", "arn:aws:*:*:*:*"))],
    "NotResource in an Allow": [policy({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::x"})],
    "iam:* on every IAM ARN": [policy(allow("iam:*", "arn:aws:iam::*:*"))],
    "a Deny that only applies somewhere": [
        policy(allow("*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::*:user/nobody"})
    ],
    "the AdministratorAccess managed policy": [iam_analysis.managed_policy_document(ADMIN_ARN)],
    "the IAMFullAccess managed policy": [
        iam_analysis.managed_policy_document("arn:aws:iam::aws:policy/IAMFullAccess")
    ],
}


@pytest.mark.parametrize("documents_", BYPASSES.values(), ids=BYPASSES.keys())
def test_admin_equivalence_is_found_whatever_its_spelling(documents_: list[dict[str, Any]]) -> None:
    analysis = iam_analysis.analyze(documents_)
    assert analysis.admin_equivalent and analysis.risks == (iam_analysis.ADMIN_EQUIVALENT,)
    assert "AttachRolePolicy" in analysis.escalations


SCOPED = {
    "every action on tagged resources only": policy(
        allow("*", Condition={"StringEquals": {"aws:ResourceTag/team": "tasks"}})
    ),
    "s3 only": policy(allow("s3:*")),
    "IAM read only": policy(allow(["iam:Get*", "iam:List*"])),
    "roles under one path": policy(allow("iam:*", "arn:aws:iam::*:role/app/*")),
    "every action, everything IAM denied": policy(
        allow("*"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
    ),
}


@pytest.mark.parametrize("document", SCOPED.values(), ids=SCOPED.keys())
def test_scoped_grants_are_not_admin_equivalent(document: dict[str, Any]) -> None:
    assert not analyze(document).admin_equivalent


def test_passing_roles_is_an_escalation_unless_the_service_is_scoped() -> None:
    run_lambda = allow(["lambda:CreateFunction", "lambda:InvokeFunction"])
    assert analyze(policy(run_lambda, allow("iam:PassRole"))).escalations == (
        "PassExistingRoleToNewLambdaThenInvoke",
    )
    # Every role of the account, spelled as an ARN, is still every role.
    every_role = allow("iam:PassRole", "arn:aws:iam::111122223333:role/*")
    assert analyze(policy(run_lambda, every_role)).escalations == ("PassExistingRoleToNewLambdaThenInvoke",)
    scoped = [
        allow("iam:PassRole", "arn:aws:iam::111122223333:role/app-*"),
        allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
    ]
    for statement in scoped:
        assert analyze(policy(run_lambda, statement)).escalations == (), statement
    # Deny credited only where it always applies.
    deny = {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": "*"}
    assert analyze(policy(run_lambda, allow("iam:PassRole"), deny)).escalations == ()
    conditional = {**deny, "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
    assert analyze(policy(run_lambda, allow("iam:PassRole"), conditional)).escalations != ()


def test_the_seed_provisioners_escalate_exactly_as_cloudsplaining_finds_on_the_whole_document() -> None:
    """The reduced evaluation is cloudsplaining's own, on the actions that matter: same 47 paths."""
    from cloudsplaining.scan.policy_document import PolicyDocument

    analysis = analyze(PROVISIONERS)
    whole = sorted(e["type"] for e in PolicyDocument(PROVISIONERS).allows_privilege_escalation)
    assert list(analysis.escalations) == whole and len(whole) == 47
    assert not analysis.admin_equivalent  # no iam:AttachUserPolicy, iam:CreateUser, ...
    power_user = iam_analysis.managed_policy_document("arn:aws:iam::aws:policy/PowerUserAccess")
    assert power_user is not None
    assert list(iam_analysis.analyze([power_user]).escalations) == sorted(
        e["type"] for e in PolicyDocument(dict(power_user)).allows_privilege_escalation
    )


def test_managed_policies_outside_the_table_are_not_judged() -> None:
    assert iam_analysis.managed_policy_document("arn:aws:iam::aws:policy/ReadOnlyAccess") is None
    assert iam_analysis.managed_policy_document("arn:aws-us-gov:iam::aws:policy/AdministratorAccess")
    assert (
        iam_analysis.managed_policy_document("arn:aws:iam::123456789012:policy/AdministratorAccess") is None
    )


# ------------------------------------------------------------------------------------------------
# Accepted risks in config
# ------------------------------------------------------------------------------------------------


def seed_set(raw: dict[str, Any]) -> dict[str, Any]:
    sets: list[dict[str, Any]] = raw["identityCenter"]["permissionSets"]
    return next(s for s in sets if s["name"] == SEED_SET)


@pytest.fixture
def org_raw() -> dict[str, Any]:
    return copy.deepcopy(stack_values("org"))


def load_error(raw: dict[str, Any]) -> str:
    with pytest.raises(config.ConfigError) as caught:
        config.load("org", raw)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_stack_file_accepts_exactly_the_seeds_risks(org_raw: dict[str, Any]) -> None:
    accepted = [p for risk in seed_set(org_raw)["acceptedRisks"] for p in risk["paths"]]
    assert sorted(accepted) == list(analyze(PROVISIONERS).escalations)
    assert all(risk["reason"].strip() for risk in seed_set(org_raw)["acceptedRisks"])
    config.load("org", org_raw)  # no error
    del org_raw["identityCenter"]  # the model's default set carries the same acceptance
    loaded = config.load("org", org_raw)
    assert isinstance(loaded, config.OrgConfig) and loaded.identity_center.permission_sets[0].accepted_risks


def write_policy(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, document: dict[str, Any]) -> str:
    folder = tmp_path / "permission_sets"
    folder.mkdir(exist_ok=True)
    (folder / "widened.json").write_text(json.dumps(document))
    monkeypatch.setattr(documents, "PERMISSION_SET_DIR", folder)
    return "widened.json"


def test_a_new_escalation_path_fails_the_config(
    org_raw: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    widened = copy.deepcopy(PROVISIONERS)
    widened["Statement"][1]["Action"].append("iam:AttachUserPolicy")
    seed_set(org_raw)["inlinePolicy"] = write_policy(tmp_path, monkeypatch, widened)
    assert load_error(org_raw) == (
        "Pulumi.org.yaml: landing-zone:identityCenter.permissionSets[0].acceptedRisks: permission set "
        f"'{SEED_SET}' opens privilege-escalation paths that no entry accepts: AttachUserPolicy; narrow its "
        "policies, or accept each risk by name with a reason"
    )
    seed_set(org_raw)["acceptedRisks"].append({"paths": ["AttachUserPolicy"], "reason": "Tested on purpose."})
    config.load("org", org_raw)


def test_admin_equivalence_through_a_managed_policy_fails_the_config(org_raw: dict[str, Any]) -> None:
    seed_set(org_raw)["managedPolicies"] = [ADMIN_ARN]
    assert "is admin-equivalent and no entry accepts AdminEquivalent; narrow" in load_error(org_raw)
    # Once admin-equivalent, the paths accepted before are moot: the list must say AdminEquivalent only.
    seed_set(org_raw)["acceptedRisks"] = [
        {"paths": ["AdminEquivalent"], "reason": "Break-glass administrators."}
    ]
    config.load("org", org_raw)


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        (
            {"paths": ["PassExistingRoleToNewLambdaThenInvok"], "reason": "r"},
            "permissionSets[0].acceptedRisks[3].paths[0]: 'PassExistingRoleToNewLambdaThenInvok' is not a "
            "risk name",
        ),
        (
            {"paths": ["PassExistingRoleToNewGlueDevEndpoint"]},
            "permissionSets[0].acceptedRisks[3].reason: is required",
        ),
        (
            {"paths": ["PassExistingRoleToNewGlueDevEndpoint"], "reason": "  "},
            "permissionSets[0].acceptedRisks[3].reason: is blank",
        ),
        ({"paths": [], "reason": "none"}, "permissionSets[0].acceptedRisks[3].paths: "),
        (
            {"paths": ["PassExistingRoleToNewGlueDevEndpoint"], "reason": "twice"},
            "permissionSets[0].acceptedRisks[3].paths[0]: 'PassExistingRoleToNewGlueDevEndpoint' is already "
            "accepted at landing-zone:identityCenter.permissionSets[0].acceptedRisks[1].paths[14]",
        ),
        (
            {"paths": ["AttachUserPolicy"], "reason": "Not a path of this set."},
            f"permissionSets[0].acceptedRisks[3].paths[0]: permission set '{SEED_SET}' no longer has the "
            "risk 'AttachUserPolicy': remove it from the list",
        ),
    ],
)
def test_accepted_risk_errors_name_the_key(
    org_raw: dict[str, Any], risk: dict[str, Any], expected: str
) -> None:
    seed_set(org_raw)["acceptedRisks"].append(risk)
    message = load_error(org_raw)
    assert message.startswith("Pulumi.org.yaml: landing-zone:identityCenter.") and expected in message, (
        message
    )


# ------------------------------------------------------------------------------------------------
# The CrossGuard rule
# ------------------------------------------------------------------------------------------------


def findings(resources: list[PolicyResource], accepted: dict[str, list[str]] | None = None) -> list[Any]:
    return g.check_stack(RULE, resources, stack="org", config={"acceptedRisks": accepted or {}})


def permission_set(
    inline: dict[str, Any] | None, *managed: str, unknown: bool = False
) -> list[PolicyResource]:
    """A permission set with an inline policy and managed policies; ``unknown``: its ARN as in a preview."""
    arn = "arn:aws:sso:::permissionSet/ssoins-1/ps-1"
    owner = resource(g.PERMISSION_SET, "ps", {"name": "admins", "arn": arn}, stack="org")
    found = [owner]
    if inline is not None:
        props: Any = {"inlinePolicy": json.dumps(inline), "permissionSetArn": arn}
        deps = None
        if unknown:
            props = unknown_checking_proxy({**props, "permissionSetArn": UNKNOWN_STRING_VALUE})
            deps = {"permissionSetArn": [owner]}
        found.append(resource(g.PERMISSION_SET_INLINE_POLICY, "inline", props, stack="org", deps=deps))
    for index, policy_arn in enumerate(managed):
        found.append(
            resource(
                "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment",
                f"managed-{index}",
                {"managedPolicyArn": policy_arn, "permissionSetArn": arn},
                stack="org",
            )
        )
    return found


def test_the_rule_judges_a_permission_set_by_all_it_holds() -> None:
    half = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    [(message, urn)] = findings(permission_set(half, "arn:aws:iam::aws:policy/IAMFullAccess"))
    assert message.startswith("permission set 'admins' is admin-equivalent") and urn.endswith("::ps")
    [(message, _)] = findings(permission_set(None, ADMIN_ARN))
    assert "admin-equivalent" in message
    assert findings(permission_set(None, ADMIN_ARN), {"admins": ["AdminEquivalent"]}) == []
    # During a preview the set's ARN is unknown; the engine's property dependencies still link them.
    [(message, _)] = findings(permission_set(policy(allow("*", "arn:*")), unknown=True))
    assert "'admins' is admin-equivalent" in message


def test_the_rule_accepts_exactly_the_named_paths_and_only_for_permission_sets() -> None:
    paths = list(analyze(PROVISIONERS).escalations)
    assert findings(permission_set(PROVISIONERS), {"admins": paths}) == []
    [(message, _)] = findings(permission_set(PROVISIONERS), {"admins": paths[1:]})
    assert f"by 1 path(s) not accepted (cloudsplaining): {paths[0]};" in message
    role = resource("aws:iam/role:Role", "deployer", {"name": "deployer", "id": "deployer"})
    inline = resource(
        "aws:iam/rolePolicy:RolePolicy",
        "deployer-policy",
        {"role": "deployer", "policy": json.dumps(PROVISIONERS)},
    )
    [(message, urn)] = findings([role, inline], {"deployer": paths})
    assert message.startswith("role 'deployer' can escalate its privileges by 47 path(s)") and urn == role.urn


def test_the_rule_sees_roles_inline_attached_and_customer_managed_policies() -> None:
    role = resource(
        "aws:iam/role:Role",
        "app",
        {
            "name": "app",
            "id": "app",
            "inlinePolicies": [{"name": "logs", "policy": json.dumps(policy(allow("logs:PutLogEvents")))}],
        },
    )
    assert findings([role]) == []
    split = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    with_inline = resource(
        "aws:iam/role:Role",
        "app",
        {
            **role.props,
            "inlinePolicies": [
                {"name": "a", "policy": json.dumps(split)},
                {"name": "b", "policy": json.dumps(policy(allow("iam:*")))},
            ],
        },
    )
    assert "role 'app' is admin-equivalent" in findings([with_inline])[0][0]
    attached = resource(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "admin", {"role": "app", "policyArn": ADMIN_ARN}
    )
    assert [urn for _, urn in findings([role, attached])] == [role.urn]
    managed = resource(
        "aws:iam/policy:Policy",
        "wide",
        {"arn": "arn:aws:iam::1:policy/wide", "policy": json.dumps(policy(allow("*", "arn:*")))},
    )
    linked = resource(
        "aws:iam/policyAttachment:PolicyAttachment",
        "link",
        {"roles": ["app"], "policyArn": "arn:aws:iam::1:policy/wide"},
    )
    assert sorted(urn for _, urn in findings([role, managed, linked])) == sorted([role.urn, managed.urn])
    # A policy of a role outside the stack is judged alone.
    stray = resource("aws:iam/rolePolicy:RolePolicy", "stray", {"role": "elsewhere", "policy": "{"})
    assert findings([stray]) == [
        (
            "role policy 'stray': policy is not valid JSON (Expecting property name "
            "enclosed in double quotes)",
            stray.urn,
        )
    ]


@pytest.fixture(scope="module")
def programs() -> dict[str, Recording]:
    return {"org": run_stack("org"), "pre": run_env_stack("pre"), "prod": run_env_stack("prod")}


@pytest.mark.parametrize("stack", ["org", "pre", "prod"])
def test_what_the_programs_declare_is_clean_with_the_derived_config(
    programs: dict[str, Recording], stack: str
) -> None:
    from policies import iam_principals

    recording = programs[stack]
    resources = g.stack_resources(recording)
    derived = policy_config.derive(FIXTURE_STACKS)
    violations = [v for v in g.check_recording(recording, derived) if v.policy == RULE]
    assert violations == [], "\n".join(map(str, violations))
    held = [h for h in iam_principals.holders(resources, g.StackIndex(resources).referenced) if h.documents]
    kinds = {h.kind for h in held}
    # The rule saw them (org: the permission sets and the break-glass group, accepted by name).
    assert kinds == ({"permission set", "group"} if stack == "org" else {"role"}), kinds
    if stack == "org":  # without the stack file's acceptance, the seed's set is caught
        [violation] = [v for v in g.check_recording(recording) if v.policy == RULE and SEED_SET in v.message]
        assert f"permission set '{SEED_SET}' can escalate its privileges by 47 path(s)" in violation.message
