"""Each rule of the offline policy-document check, at its edge: the exact error, or none.

Written against mutation survivors (scripts/mutation_score.py): every test here failed on a mutant of
iam_documents/documents.py that the other tests let through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iam_documents import documents

# AWS Organizations quota: an SCP document holds at most 5,120 characters
# (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
SCP_MAX_CHARS = 5120


def policy(*statements: Any) -> dict[str, Any]:
    return {"Version": documents.VERSION, "Statement": list(statements)}


def deny(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*", **fields}


def errors(document: Any, kind: documents.PolicyKind = "scp") -> list[str]:
    return documents.grammar_errors(document, kind)


def scp_of_exactly(chars: int) -> dict[str, Any]:
    """An SCP whose minified text is ``chars`` characters long (the Sid pads it)."""
    base = len(documents.minify(policy(deny(Sid=""))))
    return policy(deny(Sid="A" * (chars - base)))


def test_the_scp_size_limit_holds_at_5120_characters_and_fails_one_above() -> None:
    at_limit = scp_of_exactly(SCP_MAX_CHARS)
    loaded = documents.validate(at_limit, "scp", source="big.json", max_chars=SCP_MAX_CHARS)
    assert loaded.size == SCP_MAX_CHARS
    over = scp_of_exactly(SCP_MAX_CHARS + 1)
    with pytest.raises(documents.PolicyDocumentError) as raised:
        documents.validate(over, "scp", source="big.json", max_chars=SCP_MAX_CHARS)
    assert str(raised.value) == "big.json: 5121 characters as sent (minified), over the limit of 5120"


def test_the_size_is_counted_on_compact_json_in_characters_not_bytes() -> None:
    document = {"Version": documents.VERSION, "Statement": {"Sid": "é"}}
    assert documents.minify(document) == '{"Version":"2012-10-17","Statement":{"Sid":"é"}}'
    loaded = documents.validate(policy(deny(Sid="é")), "scp", source="x.json", max_chars=SCP_MAX_CHARS)
    assert loaded.size == len(loaded.minified) == len(documents.minify(policy(deny(Sid="é"))))


def test_a_valid_document_comes_back_with_its_source_kind_and_text() -> None:
    document = policy(deny())
    loaded = documents.validate(document, "identity", source="dir/p.json", max_chars=SCP_MAX_CHARS)
    assert loaded == documents.PolicyDocument(
        path=Path("dir/p.json"), kind="identity", document=document, minified=documents.minify(document)
    )


def test_statements_accepts_one_object_or_a_list() -> None:
    one = deny()
    assert documents.statements({"Statement": one}) == [one]
    assert documents.statements({"Statement": [one, one]}) == [one, one]
    assert documents.statements({}) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [('{"a": 1}', {"a": 1}), ("[1, 2]", [1, 2]), ("{not json", "{not json"), ("text", "text"), ("", ""),
     (7, 7), (None, None)],
)
def test_json_text_is_parsed_only_when_it_is_an_object_or_array(value: Any, expected: Any) -> None:
    assert documents.parse_json_text(value) == expected


def test_as_list_takes_a_string_a_list_or_nothing() -> None:
    assert documents.as_list(None) == []
    assert documents.as_list("s3:GetObject") == ["s3:GetObject"]
    assert documents.as_list(("a", "b")) == ["a", "b"]


def test_the_document_must_be_an_object() -> None:
    assert errors(["not", "an", "object"]) == ["the document must be a JSON object"]


def test_unknown_top_level_elements_are_listed_sorted() -> None:
    assert errors({**policy(deny()), "Zeta": 1, "Alpha": 2}) == ["unknown top-level element(s) Alpha, Zeta"]
    # "Id" belongs to identity policies only.
    assert errors({**policy(deny()), "Id": "x"}, "identity") == []


@pytest.mark.parametrize("statement", [None, [], "Deny everything", {}])
def test_statement_must_be_a_non_empty_list_or_object(statement: Any) -> None:
    document = {"Version": "2008-10-17", "Statement": statement}
    # The version is still reported; the statements are not looked into.
    assert errors(document) == [
        '"Version" must be "2012-10-17"',
        '"Statement" must be a non-empty list of statements',
    ]


def test_a_statement_that_is_not_an_object_does_not_stop_the_check() -> None:
    assert errors(policy("Deny", deny(Effect="Maybe"))) == [
        "Statement[0] must be an object",
        'Statement[1]: "Effect" must be "Allow" or "Deny"',
    ]


@pytest.mark.parametrize("sid", ["deny-s3", "Deny S3", "", 7])
def test_sid_must_be_alphanumeric(sid: Any) -> None:
    assert errors(policy(deny(Sid=sid))) == [f"Statement[0] ({sid}): Sid must be alphanumeric"]


def test_sids_must_be_unique_and_name_the_statement() -> None:
    document = policy(deny(Sid="DenyS3"), deny(Sid="Other"), deny(Sid="DenyS3", Effect="Maybe"))
    assert errors(document) == [
        "Statement[2] (DenyS3): duplicate Sid",
        'Statement[2] (DenyS3): "Effect" must be "Allow" or "Deny"',
    ]
    assert errors(policy(deny(Sid="DenyS3"), deny())) == []


def test_principal_elements_are_refused_by_kind() -> None:
    both = deny(Principal="*", NotPrincipal="*")
    assert errors(policy(both)) == [
        "Statement[0]: NotPrincipal, Principal is not allowed in a service control policy"
    ]
    assert errors(policy(both), "identity") == [
        "Statement[0]: NotPrincipal, Principal is not allowed in a identity-based policy"
    ]


def test_a_misspelt_statement_key_is_an_error_not_ignored() -> None:
    # A Condition typo would otherwise widen the statement to every request.
    typo = deny(Conditon={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, Zz=1)
    assert errors(policy(typo)) == ["Statement[0]: unknown element(s) Conditon, Zz"]


def test_every_known_statement_key_is_accepted() -> None:
    full = {"Sid": "All", "Effect": "Allow", "NotAction": "s3:GetObject", "NotResource": "arn:aws:s3:::b/*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    assert errors(policy(full), "identity") == []


@pytest.mark.parametrize("effect", ["Allow", "Deny"])
def test_both_effects_are_accepted(effect: str) -> None:
    assert errors(policy(deny(Effect=effect))) == []


def test_action_and_resource_each_need_exactly_one_form() -> None:
    neither = {"Effect": "Deny"}
    assert errors(policy(neither)) == [
        'Statement[0]: exactly one of "Action" or "NotAction" is required',
        'Statement[0]: exactly one of "Resource" or "NotResource" is required',
    ]
    both = deny(NotAction="s3:*", NotResource="*")
    assert errors(policy(both)) == [
        'Statement[0]: exactly one of "Action" or "NotAction" is required',
        'Statement[0]: exactly one of "Resource" or "NotResource" is required',
    ]


@pytest.mark.parametrize("key", ["Action", "NotAction", "Resource", "NotResource"])
@pytest.mark.parametrize("value", [[], "", [""], ["s3:GetObject", 3]])
def test_action_and_resource_lists_must_hold_non_empty_strings(key: str, value: Any) -> None:
    statement = {"Effect": "Deny", "Action": "*", "Resource": "*"}
    statement.pop(key.removeprefix("Not"))
    statement[key] = value
    expected = f'Statement[0]: "{key}" must be a string or a non-empty list of strings'
    assert errors(policy(statement)) == [expected]


@pytest.mark.parametrize("condition", ["aws:SecureTransport", {"Bool": "true"}, {"Bool": ["true"]}])
def test_condition_maps_operators_to_key_value_objects(condition: Any) -> None:
    assert errors(policy(deny(Condition=condition))) == [
        'Statement[0]: "Condition" must map operators to {key: value} objects'
    ]


def test_validate_reports_the_first_grammar_error_with_the_source() -> None:
    document = {"Version": "1", "Statement": [deny(Effect="Maybe")]}
    with pytest.raises(documents.PolicyDocumentError) as raised:
        documents.validate(document, "scp", source="policies/scp/x.json", max_chars=SCP_MAX_CHARS)
    assert str(raised.value) == 'policies/scp/x.json: "Version" must be "2012-10-17"'


def test_not_action_entries_are_checked_against_the_catalogue() -> None:
    document = policy({"Effect": "Deny", "NotAction": ["s3:GetObject", "s3:GetObjekt"], "Resource": "*"})
    assert documents.unknown_actions(document) == ["s3:GetObjekt"]
    with pytest.raises(documents.PolicyDocumentError) as raised:
        documents.validate(document, "scp", source="x.json", max_chars=SCP_MAX_CHARS)
    assert str(raised.value) == "x.json: unknown IAM action(s) s3:GetObjekt"
    # check_actions=False is grammar and size only.
    assert documents.validate(document, "scp", source="x.json", max_chars=SCP_MAX_CHARS, check_actions=False)


@pytest.mark.parametrize(
    ("action", "known"),
    [("*", True), ("S3:getobject", True), ("s3:GetObjec?", True), ("s3:Get*", True), ("s3:*", True),
     ("s3", False), ("s3:", False), (":GetObject", False), ("s3:Nope*", False), ("s3:GetObjec", False),
     ("nosuch:GetObject", False)],
)
def test_action_names_match_the_catalogue_case_insensitively_with_wildcards(action: str, known: bool) -> None:
    assert documents.unknown_actions(policy(deny(Action=[action]))) == ([] if known else [action])


@pytest.mark.parametrize("operator", ["StringEquals", "ForAnyValue:StringEquals", "StringLike", "ArnLike"])
def test_operators_that_need_the_key_present_are_checked(operator: str) -> None:
    grant = policy({"Effect": "Allow", "Action": "iam:DeleteServiceLinkedRole", "Resource": "*",
                    "Condition": {operator: {"iam:AWSServiceName": "ecs.amazonaws.com"}}})
    assert documents.unsupported_condition_keys(grant) == ["iam:DeleteServiceLinkedRole (iam:AWSServiceName)"]


@pytest.mark.parametrize(
    "operator", ["NumericNotEquals", "DateNotEquals", "ForAnyValue:StringNotEquals", "ArnNotLikeIfExists"]
)
def test_negated_operators_hold_when_the_key_is_absent(operator: str) -> None:
    grant = policy({"Effect": "Allow", "Action": "iam:DeleteServiceLinkedRole", "Resource": "*",
                    "Condition": {operator: {"iam:AWSServiceName": "x"}}})
    assert documents.unsupported_condition_keys(grant) == []


def test_condition_keys_of_unknown_actions_are_left_to_the_action_check() -> None:
    grant = policy({"Effect": "Allow", "Action": ["nosuch:Thing", "iam:NoSuchAction"], "Resource": "*",
                    "Condition": {"StringEquals": {"iam:AWSServiceName": "x"}}})
    assert documents.unsupported_condition_keys(grant) == []


def test_load_names_the_file_relative_to_the_project(tmp_path: Path) -> None:
    shipped = documents.SCP_DIR / "guardrails.json"
    loaded = documents.load(shipped, "scp", max_chars=SCP_MAX_CHARS)
    assert loaded.path == shipped and loaded.kind == "scp"
    assert loaded.document == json.loads(shipped.read_text(encoding="utf-8"))
    assert loaded.minified == documents.minify(loaded.document)
    with pytest.raises(documents.PolicyDocumentError) as raised:
        documents.load(documents.SCP_DIR / "nope.json", "scp", max_chars=SCP_MAX_CHARS)
    assert str(raised.value) == "iam_documents/scp/nope.json: policy file not found"


def test_load_outside_the_project_names_the_full_path_and_the_json_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17",\n  "Statement": [}', encoding="utf-8")
    with pytest.raises(documents.PolicyDocumentError) as raised:
        documents.load(bad, "scp", max_chars=SCP_MAX_CHARS)
    assert str(raised.value) == f"{bad}: invalid JSON at line 2 column 17: Expecting value"
    over = tmp_path / "over.json"
    over.write_text(json.dumps(scp_of_exactly(301)), encoding="utf-8")
    with pytest.raises(documents.PolicyDocumentError) as raised:
        documents.load(over, "scp", max_chars=300)
    assert str(raised.value) == f"{over}: 301 characters as sent (minified), over the limit of 300"
    unchecked = tmp_path / "unchecked.json"
    unchecked.write_text(json.dumps(policy(deny(Action="nosuch:Thing"))), encoding="utf-8")
    assert documents.load(unchecked, "scp", max_chars=300, check_actions=False).path == unchecked


def test_every_statement_is_checked_for_condition_keys_not_only_up_to_an_unconditioned_one() -> None:
    grant = policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:DeleteServiceLinkedRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": "x"}}},
    )
    assert documents.unsupported_condition_keys(grant) == ["iam:DeleteServiceLinkedRole (iam:AWSServiceName)"]
