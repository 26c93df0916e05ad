"""The small JSON Schema checker the function carries instead of a library."""

from __future__ import annotations

from typing import Any

import pytest

from lambda_src.json_schema import mismatch, schema_problem

ITEM = {"type": "object", "properties": {"sku": {"type": "string", "minLength": 2}}, "required": ["sku"]}
ORDER = {
    "type": "object",
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "total": {"type": "number", "exclusiveMinimum": 0},
        "status": {"enum": ["open", "paid"]},
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}, "minItems": 1},
        "note": {"type": ["string", "null"]},
        "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}]},
        "code": {"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 3}]},
        "one": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    },
    "required": ["id", "items"],
    "additionalProperties": False,
    "$defs": {"item": ITEM},
}
GOOD = {
    "id": 7,
    "total": 1.5,
    "status": "paid",
    "items": [{"sku": "ab"}],
    "note": None,
    "pair": ["a", True],
    "code": "xyz",
    "one": 2.5,
}


def test_a_matching_value_passes() -> None:
    assert schema_problem(ORDER) is None
    assert mismatch(GOOD, ORDER) is None
    assert mismatch(7.0, {"type": "integer"}) is None  # 7.0 is an integer in JSON Schema


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"id": 0}, "$.id: the number is outside the allowed range"),
        ({"id": True}, "$.id: expected integer, got boolean"),
        ({"total": 0}, "$.total: the number is outside"),
        ({"status": "lost"}, "$.status: not one of the 2 allowed values"),
        ({"items": []}, "$.items: 0 items"),
        ({"items": [{"sku": "a"}]}, "$.items[0].sku: a string of 1 characters"),
        ({"items": [{}]}, "$.items[0]: the required property 'sku' is missing"),
        ({"note": 3}, "$.note: expected string or null, got integer"),
        ({"pair": ["a", "b"]}, "$.pair[1]: expected boolean"),
        ({"code": "long"}, "$.code: matches none of the anyOf"),
        ({"one": 2}, "$.one: matches 2 of the oneOf alternatives"),
        ({"extra": 1}, "$: the property 'extra' is not allowed"),
    ],
)
def test_each_departure_is_located(change: dict[str, Any], where: str) -> None:
    problem = mismatch({**GOOD, **change}, ORDER)

    assert problem is not None and problem.startswith(where)


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ([], "the schema must be a JSON object"),
        ({"type": "text"}, "type: 'text' is not a JSON Schema type"),
        ({"properties": {"a": {"type": ["string", "str"]}}}, "properties.a.type: 'str'"),
        ({"properties": []}, "properties must be an object of schemas"),
        ({"properties": {"a": 1}}, "properties.a must be a schema"),
        ({"required": [1]}, "required must be an array of property names"),
        ({"enum": []}, "enum must be a non-empty array"),
        ({"anyOf": []}, "anyOf must be a non-empty array"),
        ({"minLength": -1}, "minLength must be a non-negative integer"),
        ({"maximum": "9"}, "maximum must be a number"),
        ({"$ref": "#/$defs/x"}, "points to nothing"),
        ({"$ref": "other.json#/a"}, "points outside the schema"),
    ],
)
def test_unusable_schemas_are_explained(schema: Any, problem: str) -> None:
    found = schema_problem(schema)

    assert found is not None and problem in found


def test_a_schema_that_refers_to_itself_without_end_is_stopped() -> None:
    schema = {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}

    assert schema_problem(schema) is None  # well formed
    with pytest.raises(ValueError, match="too complex"):
        mismatch(1, schema)


def test_a_recursive_schema_checks_nested_values() -> None:
    tree = {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}

    assert mismatch({"children": [{"children": []}]}, tree) is None
    assert (
        mismatch({"children": [{"children": 1}]}, tree)
        == "$.children[0].children: expected array, got integer"
    )
