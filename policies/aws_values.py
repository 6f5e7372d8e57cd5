"""Every value the program sends to AWS, checked against AWS's own API models before deploy.

What cfn-lint does for CloudFormation, for this program's Pulumi resources: each input a resource
declares is followed to the AWS API member that carries it (``aws_api_members.API_MEMBERS``), and its
value is checked against

* the member's constraints in botocore's service models (enum, length, pattern, range, list size),
  distilled into ``aws_api_constraints.json`` by ``scripts/extract_api_constraints.py`` (a test keeps
  the file equal to what the installed botocore says);
* the rules AWS documents but the models leave out (``aws_service_rules``).

:func:`check_inputs` is pure: a resource type and its inputs (camelCase, as the engine and
``deploy.simulate`` record them) in, :class:`Problem` s out. The CrossGuard rule ``aws-api-values``
(``policies/guardrails.py``) runs it, so ``python -m deploy plan`` and ``pulumi preview --policy-pack``
both enforce it. Values not known yet (a preview's unknowns) are skipped.

Patterns: AWS validates a whole value against a member's pattern (Java ``matches``), so they are
matched with ``re.fullmatch``. botocore's patterns are Java regexes; :func:`compile_pattern` turns the
Java-only parts into Python (``\\p{L}``-style Unicode categories, POSIX ``\\p{Print}``, UTF-16 surrogate
ranges, an inline ``(?i)`` inside a group). A pattern it cannot translate is not checked (the length and
the rest still are); ``unsupported_patterns`` lists them and the tests pin that list.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from policies.aws_api_members import API_MEMBERS, AUTONAME_SUFFIX, AUTONAMED, TAG_MEMBERS
from policies.aws_resource_rules import RESOURCE_RULES
from policies.aws_service_rules import MEMBER_RULES, Rule, is_list

CONSTRAINTS_FILE = Path(__file__).resolve().parent / "aws_api_constraints.json"
CHECKED_TYPES = frozenset(API_MEMBERS) | frozenset(RESOURCE_RULES)
_STEP = re.compile(r"\[\]|\{key\}|\{\}|\(json\)|[^.\[{(]+")


@dataclass(frozen=True)
class Problem:
    """A value AWS would reject: where it is, what it is, and the rule it breaks."""

    field: str  # input path with list indexes and map keys, e.g. "ingress[0].description"
    value: Any
    rule: str  # e.g. "does not match ..."
    member: str  # the API member, e.g. "CreateSecurityGroup.Description"

    def __str__(self) -> str:
        return f"{self.field}: {show(self.value)} {self.rule} ({self.member})"


def show(value: Any) -> str:
    """A value as the message shows it: JSON, whole numbers without '.0', long text shortened."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        text = json.dumps(_plain(value), ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > 80:
        size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters as JSON"
        text = f"{text[:60]}... ({size})"
    return text


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if is_list(value):
        return [_plain(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------
# The model constraints and their patterns
# --------------------------------------------------------------------------------------------


@functools.cache
def constraints() -> Mapping[str, Mapping[str, Any]]:
    """API member -> its constraints from botocore (``aws_api_constraints.json``)."""
    return json.loads(CONSTRAINTS_FILE.read_text(encoding="utf-8"))["members"]


class UnsupportedPattern(ValueError):
    """A botocore (Java) pattern with no faithful Python translation."""


_POSIX = {  # Java's POSIX classes are ASCII-only
    "Lower": "a-z", "Upper": "A-Z", "ASCII": r"\x00-\x7f", "Alpha": "a-zA-Z", "Digit": "0-9",
    "Alnum": "a-zA-Z0-9", "Punct": r"!-/:-@\[-`{-~", "Graph": r"!-~", "Print": r" -~",
    "Space": r" \t\n\x0b\f\r",
}
_CATEGORY = re.compile(r"\\p\{([LMNPSZC])\}")
# [ ... ]+ / * made only of Unicode categories and literal characters: checked with unicodedata.
_CATEGORY_CLASS = re.compile(r"\[((?:\\p\{[LMNPSZC]\}|\\[tnrf]|\\[^\w]|[^\]\\])+)\]([+*])")
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def compile_pattern(java: str) -> Callable[[str], bool]:
    """A full-match predicate for one of botocore's Java patterns (raises UnsupportedPattern)."""
    whole = _CATEGORY_CLASS.fullmatch(java)
    if whole and _CATEGORY.search(whole.group(1)):
        categories = frozenset(_CATEGORY.findall(whole.group(1)))
        items = re.findall(r"\\.|.", _CATEGORY.sub("", whole.group(1)))
        if "-" in items[1:-1]:  # an unescaped '-' between two characters: a range
            raise UnsupportedPattern("a character range next to Unicode categories")
        chars = frozenset(_ESCAPES.get(item[1], item[1]) if len(item) == 2 else item for item in items)
        empty_ok = whole.group(2) == "*"
        return lambda text: (empty_ok or bool(text)) and all(
            char in chars or unicodedata.category(char)[0] in categories for char in text)
    python = _translate(java)
    try:
        compiled = re.compile(python)
    except re.error as error:
        raise UnsupportedPattern(f"{error}") from None
    return lambda text: compiled.fullmatch(text) is not None


def _translate(java: str) -> str:
    if _CATEGORY.search(java) or re.search(r"\\[QEGhHRXzZ]|\\p\{(?!" + "|".join(_POSIX) + r")", java):
        raise UnsupportedPattern("Java-only construct (Unicode category outside a plain class, \\Q, \\z...)")
    python = re.sub(r"\\p\{(\w+)\}", lambda m: f"[{_POSIX[m.group(1)]}]", java)
    # A POSIX class inside a character class: drop the brackets just added.
    python = re.sub(r"\[([^\[\]]*)\[([^\[\]]+)\]([^\[\]]*)\]", r"[\1\2\3]", python)
    # Supplementary characters written as UTF-16 surrogate pairs.
    python = python.replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")
    return _scope_inline_flags(python)


def _scope_inline_flags(pattern: str) -> str:
    """Java's ``(?i)`` inside a group applies to the rest of that group: ``(?i:...)`` in Python."""
    start = pattern.find("(?i)", 1)
    if start < 0:
        return pattern
    depth, index, in_class = 0, start + 4, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        index += 1
    return _scope_inline_flags(f"{pattern[:start]}(?i:{pattern[start + 4:index]}){pattern[index:]}")


@functools.cache
def _matcher(java: str) -> Callable[[str], bool] | None:
    try:
        return compile_pattern(java)
    except UnsupportedPattern:
        return None


def unsupported_patterns() -> dict[str, str]:
    """Members whose model pattern is not checked, with the reason."""
    found = {}
    for member, constraint in constraints().items():
        if "pattern" in constraint:
            try:
                compile_pattern(constraint["pattern"])
            except UnsupportedPattern as error:
                found[member] = str(error)
    return found


# --------------------------------------------------------------------------------------------
# Checking values
# --------------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str | None:
    """A scalar as the API receives it in a string member (numbers are sent as their digits)."""
    if isinstance(value, str):
        return value
    number = _number(value)
    if number is None:
        return None
    return str(int(number)) if number.is_integer() else str(number)


def _count(value: Any, kind: str = "list") -> int | None:
    if is_list(value) or (kind == "map" and isinstance(value, Mapping)):
        return len(value)
    return None if value is None else 1  # a block the provider flattened from a list of one


def model_problems(value: Any, constraint: Mapping[str, Any]) -> Iterator[str]:
    """What is wrong with ``value`` under one member's model constraints."""
    kind = constraint.get("type")
    low, high = constraint.get("min"), constraint.get("max")
    if kind in ("list", "map"):
        count = _count(value, kind)
        if count is not None and low is not None and count < low:
            yield f"has {count} item(s), fewer than the minimum of {low}"
        if count is not None and high is not None and count > high:
            yield f"has {count} item(s), more than the maximum of {high}"
    elif kind == "string":
        text = _text(value)
        if text is None:
            return
        if "enum" in constraint and text not in constraint["enum"]:
            yield f"is not one of {_choices(constraint['enum'])}"
            return
        if low is not None and len(text) < low:
            yield f"is {len(text)} characters, under the minimum of {low}"
        if high is not None and len(text) > high:
            yield f"is {len(text)} characters, over the maximum of {high}"
        pattern = constraint.get("pattern")
        matcher = _matcher(pattern) if pattern else None
        if matcher is not None and not matcher(text):
            yield f"does not match the API's pattern {pattern}"
    elif kind in ("integer", "long", "double", "float"):
        number = _number(value)
        if number is None:
            return
        if kind in ("integer", "long") and not number.is_integer():
            yield "is not a whole number"
        if (low is not None and number < low) or (high is not None and number > high):
            yield f"is out of range {_bound(low)}..{_bound(high)}"


def _choices(values: list[Any] | tuple[Any, ...]) -> str:
    shown = ", ".join(show(v) for v in values[:12])
    return shown + (f", ... ({len(values)} values)" if len(values) > 12 else "")


def _bound(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def rule_problems(value: Any, rule: Rule) -> Iterator[str]:
    """What is wrong with ``value`` under one documented rule."""
    if rule.max_items is not None:
        count = _count(value)
        if count is not None and count > rule.max_items:
            yield f"has {count} items: {rule.describe}"
        return
    if rule.one_of is not None:
        number = _number(value)
        if value not in rule.one_of and (number is None or number not in rule.one_of):
            yield f"is not one of {rule.describe}: {_choices(rule.one_of)}"
        return
    if rule.low is not None or rule.high is not None:
        number = _number(value)
        if number is None:
            return
        low = rule.low if rule.low is not None else float("-inf")
        high = rule.high if rule.high is not None else float("inf")
        off_step = rule.step is not None and not (number / rule.step).is_integer()
        if not low <= number <= high or off_step:
            yield f"is not {rule.describe}"
        return
    text = _text(value)
    if text is None:
        return
    if rule.pattern is not None and not re.fullmatch(rule.pattern, text):
        yield f"does not match {rule.describe}"
    for word in rule.forbidden:
        if word in text.lower():
            yield f"contains '{word}', reserved by AWS ({rule.describe})"
    if rule.check is not None:
        problem = rule.check(value)
        if problem:
            yield f"{problem} ({rule.describe})"


def _steps(path: str) -> list[str]:
    return _STEP.findall(path)


def _walk(value: Any, steps: list[str], where: str) -> Iterator[tuple[str, Any]]:
    """The values at ``steps`` below ``value``, each with its shown path."""
    if value is None:
        return
    if not steps:
        yield where, value
        return
    step, rest = steps[0], steps[1:]
    if step == "(json)":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                return
        yield from _walk(value, rest, where)
    elif step == "[]":
        if is_list(value):
            for index, item in enumerate(value):
                yield from _walk(item, rest, f"{where}[{index}]")
        else:
            yield from _walk(value, rest, where)
    elif step in ("{}", "{key}"):
        if isinstance(value, Mapping):
            for key in value:
                if step == "{key}":
                    yield from _walk(key, rest, f"{where}{{{key}}}")
                else:
                    yield from _walk(value[key], rest, f"{where}.{key}")
    elif is_list(value):
        if len(value) == 1:
            yield from _walk(value[0], steps, where)
    elif isinstance(value, Mapping) and step in value:
        yield from _walk(value[step], rest, f"{where}.{step}" if where else step)


def _shown_member(member: str) -> str:
    """``elbv2:ModifyLoadBalancerAttributes.Attributes[].Value#idle_timeout.timeout_seconds`` ->
    ``ModifyLoadBalancerAttributes.Attributes[].Value (idle_timeout.timeout_seconds)``."""
    path, _, key = member.split(":", 1)[1].partition("#")
    return f"{path} ({key})" if key else path


def check_inputs(resource_type: str, inputs: Mapping[str, Any], name: str | None = None) -> list[Problem]:
    """Every value of ``inputs`` that AWS's API would reject, for a resource of ``resource_type``.

    ``name`` is the resource's name: when the program sets no physical name, Pulumi generates one from
    it (``<name>-<7 hex digits>``), and that generated name is checked too.
    """
    fields = API_MEMBERS.get(resource_type)
    problems: list[Problem] = []
    if fields is None and resource_type not in RESOURCE_RULES:
        return problems
    fields = {**(fields or {}), **TAG_MEMBERS}
    inputs = _with_generated_name(resource_type, inputs, name)
    table = constraints()
    for path, member in fields.items():
        try:
            for where, value in _walk(inputs, _steps(path), ""):
                generated = isinstance(inputs, _Named) and where == inputs.key
                shown = f"{where} (generated)" if generated else where
                for message in model_problems(value, table.get(member, {})):
                    problems.append(Problem(shown, value, message, _shown_member(member)))
                for rule in MEMBER_RULES.get(member, ()):
                    for message in rule_problems(value, rule):
                        problems.append(Problem(shown, value, message, _shown_member(member)))
        except UnknownValueError:
            continue  # not known until the resources it depends on exist (preview)
    for resource_rule in RESOURCE_RULES.get(resource_type, ()):
        try:
            for where, value, message, member in resource_rule(inputs):
                problems.append(Problem(where, value, message, member))
        except UnknownValueError:
            continue
    return problems


class _Named(Mapping[str, Any]):
    """Inputs with the name Pulumi will generate added (unknown values stay unknown)."""

    def __init__(self, inputs: Mapping[str, Any], key: str, name: str) -> None:
        self.inputs, self.key, self.name = inputs, key, name

    def __getitem__(self, key: str) -> Any:
        return self.name if key == self.key else self.inputs[key]

    def __iter__(self) -> Iterator[str]:
        yield self.key
        yield from (key for key in self.inputs if key != self.key)

    def __len__(self) -> int:
        return len(set(self.inputs) | {self.key})


def _with_generated_name(resource_type: str, inputs: Mapping[str, Any],
                         name: str | None) -> Mapping[str, Any]:
    key = AUTONAMED.get(resource_type)
    try:
        if key is None or not name or inputs.get(key) or inputs.get("namePrefix"):
            return inputs
    except UnknownValueError:
        return inputs
    return _Named(inputs, key, name + AUTONAME_SUFFIX)


def crossguard_check(resource_type: str, props: Mapping[str, Any], ctx: Any) -> Iterator[str]:
    """The CrossGuard resource rule ``aws-api-values``: one message per problem."""
    for problem in check_inputs(resource_type, props, getattr(ctx, "name", None) or None):
        yield str(problem)
