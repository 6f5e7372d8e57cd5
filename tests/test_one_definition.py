"""Facts the config layer and the policy pack both decide are defined once: for every value, the stack
file's validation and the pack's rule give the same answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from components import config
from components.settings.identity_center import PermissionSetSettings
from iam_documents import documents
from iam_documents.access_role import ORGANIZATION_ACCESS_ROLE, principal_exemptions
from policies.aws_service_rules import session_duration_problem
from policies.rules import organization


def config_accepts_session(value: str) -> bool:
    try:
        PermissionSetSettings.model_validate({"name": "ops", "sessionDuration": value})
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("PT1H", True), ("PT12H", True), ("PT1H30M", True), ("PT90M", True), ("PT3600S", True),
        ("PT11H59M60S", True), ("PT59M59S", False), ("PT12H1S", False), ("PT13H", False), ("PT30M", False),
        ("PT", False), ("P1D", False), ("8h", False), ("PT1.5H", False), ("", False),
    ],
)
def test_config_and_pack_agree_on_a_permission_set_session_duration(value: str, valid: bool) -> None:
    assert (session_duration_problem(value) is None) is valid
    assert config_accepts_session(value) is valid


def lowercase_principal_key(document: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(document).replace('"aws:PrincipalArn"', '"AWS:principalarn"')
    assert text != json.dumps(document), "the shipped quarantine SCP has no aws:PrincipalArn exemption"
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def test_config_and_pack_read_a_principal_exemption_whatever_the_key_case(
    org_raw: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # IAM condition key names are not case-sensitive: both layers must see the same exemption.
    for source in documents.SCP_DIR.glob("*.json"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    shipped = json.loads((tmp_path / "quarantine.json").read_text(encoding="utf-8"))
    quarantine = lowercase_principal_key(shipped)
    (tmp_path / "quarantine.json").write_text(json.dumps(quarantine), encoding="utf-8")
    monkeypatch.setattr(documents, "SCP_DIR", tmp_path)

    assert config.load("org", org_raw)  # it exempts the default access role
    assert any(organization.quarantine_statement(s, ORGANIZATION_ACCESS_ROLE)
               for s in documents.statements(quarantine))
    exempts_only_the_default = (r"exempts arn:aws:iam::\*:role/OrganizationAccountAccessRole"
                                r" but not the access role 'PlatformAdmin'")
    with pytest.raises(config.ConfigError, match=exempts_only_the_default):
        config.load("org", {**org_raw, "accessRoleName": "PlatformAdmin"})
    assert not any(organization.quarantine_statement(s, "PlatformAdmin")
                   for s in documents.statements(quarantine))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/A"}}, ["arn:aws:iam::*:role/A"]),
        ({"StringNotEquals": {"AWS:PRINCIPALARN": ["x", "y"]}}, ["x", "y"]),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/A"}}, []),  # grants, does not exempt
        ({"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}}, []),
        (None, []),
    ],
)
def test_principal_exemptions_of_a_statement(condition: Any, expected: list[str]) -> None:
    statement = {"Effect": "Deny", "Action": "*", "Resource": "*",
                 **({"Condition": condition} if condition is not None else {})}
    assert principal_exemptions(statement) == expected
