"""Stack files are parsed strictly: every malformed file gives one line naming it (and the line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components import config


def read(tmp_path: Path, content: bytes) -> dict[str, object]:
    (tmp_path / "Pulumi.pre.yaml").write_bytes(content)
    return config.read_stack_file_config("pre", tmp_path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # PyYAML alone would keep the second value silently.
        (b"config:\n  landing-zone:region: us-east-1\n  landing-zone:region: eu-west-1\n",
         "Pulumi.pre.yaml: config: invalid YAML: duplicate key 'landing-zone:region' "
         "(line 3; first on line 2)"),
        (b"config:\n  landing-zone:cognito:\n    userPoolName: a\n    userPoolName: b\n",
         "Pulumi.pre.yaml: config: invalid YAML: duplicate key 'userPoolName' (line 4; first on line 3)"),
        (b"- config\n- other\n",
         "Pulumi.pre.yaml: config: the file must be a mapping with a 'config:' key, not a list"),
        (b"just text\n",
         "Pulumi.pre.yaml: config: the file must be a mapping with a 'config:' key, not a string"),
        (b"config:\n  - a\n", "Pulumi.pre.yaml: config: must be a mapping of keys to values"),
        (b"config:\n  landing-zone:region: \xe9u-west-1\n",
         "Pulumi.pre.yaml: config: is not UTF-8 text (line 2)"),
        (b"config:\n  landing-zone:tags: [a\n", "Pulumi.pre.yaml: config: invalid YAML: expected ',' or ']'"),
    ],
)
def test_a_malformed_stack_file_is_one_line_naming_it(tmp_path: Path, content: bytes, expected: str) -> None:
    with pytest.raises(config.ConfigError) as raised:
        read(tmp_path, content)
    message = str(raised.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_the_same_key_in_two_mappings_is_fine(tmp_path: Path) -> None:
    values = read(tmp_path, b"config:\n  landing-zone:a:\n    name: x\n  landing-zone:b:\n    name: y\n")
    assert values == {"landing-zone:a": {"name": "x"}, "landing-zone:b": {"name": "y"}}


def test_an_empty_file_has_no_config(tmp_path: Path) -> None:
    assert read(tmp_path, b"") == {}
