"""Reading stack configuration: ``Pulumi.<stack>.yaml`` parsed strictly, and the values the Pulumi engine
passes to the program. Returns raw values; ``components/config.py`` validates them (and re-exports these
functions, where callers import them).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.settings import derived
from components.settings.base import PROJECT, ConfigError, stack_file
from iam_documents import documents

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key repeated in one mapping is an error.

    PyYAML keeps the last of duplicate keys silently; the Pulumi CLI (Go's yaml.v3) refuses the file
    ("mapping key ... already defined"). Refusing here too means plan and the engine agree.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key '{key}' (line {key_node.start_mark.line + 1}; first on line {seen[key]})",
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_stack_file_config(stack: str, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Every key of the ``config:`` block of ``Pulumi.<stack>.yaml``, namespaces included.

    Parsed strictly: bad encoding, bad YAML, duplicate keys or a top level that is not a mapping each
    raise one ConfigError naming the file (and the line, where known).
    """
    source = stack_file(stack)
    path = root / source
    if not path.is_file():
        raise ConfigError(source, "config", f"stack file not found in {root}")
    content = path.read_bytes()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ConfigError(source, "config", f"is not UTF-8 text (line {line})") from None
    # Parsed once per distinct content: plan's checks read the same files many times, and the strict
    # loader is pure Python (~25 ms for Pulumi.org.yaml). A copy each time: callers may modify it.
    data = copy.deepcopy(_parse(source, text))
    if not isinstance(data, dict):
        raise ConfigError(
            source, "config", f"the file must be a mapping with a 'config:' key, not a {_kind(data)}"
        )
    values = data.get("config") or {}
    if not isinstance(values, dict):
        raise ConfigError(source, "config", "must be a mapping of keys to values")
    return dict(values)


def _yaml_problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1})" if mark is not None and "line" not in str(error.problem) else ""
        return f"invalid YAML: {error.problem}{where}"
    return "invalid YAML: " + str(error).splitlines()[0]


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def project_values(file_config: Mapping[str, Any]) -> dict[str, Any]:
    """The values of this project's namespace, keys without the ``landing-zone:`` prefix."""
    prefix = f"{PROJECT}:"
    return {key[len(prefix) :]: value for key, value in file_config.items() if key.startswith(prefix)}


def read_stack_file(stack: str, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Raw values of this project's namespace from ``Pulumi.<stack>.yaml``.

    A key of another namespace than ``landing-zone:``, ``aws:`` or ``pulumi:`` (or an unknown key of
    the latter two) raises ConfigError: its value would be silently ignored (components/config_keys.py).
    """
    from components import config_keys

    file_config = read_stack_file_config(stack, root)
    config_keys.check(stack_file(stack), file_config)
    return project_values(file_config)


def read_pulumi_config(stack: str | None = None) -> dict[str, Any]:
    """Raw values of this project's namespace as the Pulumi engine passes them to the program,
    completed with the values ``python -m deploy`` derived for this run (components/settings/derived.py).

    The engine passes the stack's whole config, every namespace included (pkg/resource/deploy/
    source_eval.go in pulumi/pulumi: ``Target.Config`` goes to the language host as is), so a key
    outside the allowed namespaces raises ConfigError naming ``Pulumi.<stack>.yaml`` here too.
    """
    import os

    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    from components import config_keys

    engine_config = {**get_config_env(), **CONFIG.get()}
    config_keys.check(stack_file(stack or pulumi.get_stack()), engine_config)
    prefix = f"{PROJECT}:"
    values: dict[str, Any] = {}
    for key, value in engine_config.items():
        if key.startswith(prefix):
            # Structured config arrives as JSON text; scalars stay strings (pydantic coerces them).
            values[key[len(prefix) :]] = documents.parse_json_text(value)
    return derived.with_deploy_time_values(pulumi.get_stack(), values, os.environ)


def config_env(stack: str, raw: Mapping[str, Any]) -> dict[str, str]:
    """The engine's view of raw values (``project:key`` -> string), e.g. for mocks' set_all_config."""
    return {
        f"{PROJECT}:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in raw.items()
    }


@functools.lru_cache(maxsize=64)
def _parse(source: str, text: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader) or {}  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as error:
        raise ConfigError(source, "config", _yaml_problem(error)) from None
