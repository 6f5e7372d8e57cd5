"""Facts the config layer and the policy pack both decide are defined once: for every value, the stack
file's validation and the pack's rule give the same answer."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.settings.identity_center import PermissionSetSettings
from policies.aws_service_rules import session_duration_problem


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
