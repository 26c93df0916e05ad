"""A small JSON Schema checker: is a ``response_format`` schema usable, does an answer match it.

The function package carries no JSON Schema library: the common validators cost megabytes and
tens of milliseconds of import for what structured output needs, which is the subset that
OpenAI's and Bedrock's structured outputs accept (draft 2020-12 keywords):

- ``type`` (one or a list), ``enum``, ``const``;
- objects: ``properties``, ``required``, ``additionalProperties`` (boolean or schema);
- arrays: ``items``, ``prefixItems``, ``minItems``, ``maxItems``;
- strings: ``minLength``, ``maxLength`` (``pattern`` and ``format`` are passed on to the model
  and not checked here: a pattern from the request is not run against an answer);
- numbers: ``minimum``, ``maximum``, ``exclusiveMinimum``, ``exclusiveMaximum``;
- ``anyOf``, ``oneOf``, ``allOf``, and ``$ref`` to a place in the same schema (``#/$defs/x``).

Other keywords are annotations here. :func:`schema_problem` says what is wrong with a schema
(where, and what is allowed); :func:`mismatch` says where an answer departs from one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "$defs", "definitions")
_SCHEMA_VALUES = ("items", "additionalProperties", "not")
_COUNTS = ("minItems", "maxItems", "minLength", "maxLength")
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
# A check stops here: after this many steps (anyOf over anyOf...), or this deep in nested calls
# (a schema that refers to itself without consuming input), well within Python's recursion limit.
MAX_STEPS = 10_000
MAX_DEPTH = 200


class SchemaError(ValueError):
    """The schema cannot be used; the message says where and why."""


def _where(path: tuple[str, ...]) -> str:
    return ".".join(path) if path else "the schema"


def _resolve(root: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        raise SchemaError(
            f"$ref {ref!r} points outside the schema; only local references (#/...) are allowed"
        )
    node: Any = root
    for raw in [p for p in ref[1:].split("/") if p]:
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise SchemaError(f"$ref {ref!r} points to nothing in the schema")
    return node


def _subschemas(schema: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...]]]:
    for key in _SCHEMA_LISTS:
        if key in schema:
            value = schema[key]
            if not isinstance(value, list) or not value:
                raise SchemaError(f"{_where((*path, key))} must be a non-empty array of schemas")
            yield from ((s, (*path, key, str(i))) for i, s in enumerate(value))
    for key in _SCHEMA_MAPS:
        if key in schema:
            value = schema[key]
            if not isinstance(value, dict):
                raise SchemaError(f"{_where((*path, key))} must be an object of schemas")
            yield from ((s, (*path, key, name)) for name, s in value.items())
    for key in _SCHEMA_VALUES:
        if key in schema:
            yield schema[key], (*path, key)


def _check_keywords(root: dict[str, Any], schema: dict[str, Any], path: tuple[str, ...]) -> None:
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        for k in kinds:
            if k not in TYPES:
                allowed = ", ".join(TYPES)
                raise SchemaError(
                    f"{_where((*path, 'type'))}: {k!r} is not a JSON Schema type (allowed: {allowed})"
                )
    required = schema.get("required")
    if required is not None and (
        not isinstance(required, list) or not all(isinstance(r, str) for r in required)
    ):
        raise SchemaError(f"{_where((*path, 'required'))} must be an array of property names")
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        raise SchemaError(f"{_where((*path, 'enum'))} must be a non-empty array")
    for key in _COUNTS:
        value = schema.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise SchemaError(f"{_where((*path, key))} must be a non-negative integer")
    for key in _BOUNDS:
        value = schema.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise SchemaError(f"{_where((*path, key))} must be a number")
    if "$ref" in schema:
        if not isinstance(schema["$ref"], str):
            raise SchemaError(f"{_where((*path, '$ref'))} must be a string")
        _resolve(root, schema["$ref"])


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` cannot be used for structured output, or None."""
    if not isinstance(schema, dict):
        return "the schema must be a JSON object"
    stack: list[tuple[Any, tuple[str, ...]]] = [(schema, ())]
    try:
        while stack:
            node, path = stack.pop()
            if isinstance(node, bool):
                continue
            if not isinstance(node, dict):
                return f"{_where(path)} must be a schema (an object or a boolean)"
            _check_keywords(schema, node, path)
            stack.extend(_subschemas(node, path))
    except SchemaError as err:
        return str(err)
    return None


# --- matching an answer -------------------------------------------------------------------------


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _is(value: Any, kind: str) -> bool:
    actual = _type_of(value)
    return actual == kind or (kind == "number" and actual == "integer")


def _at(path: tuple[str, ...]) -> str:
    return "$" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in path)


class _Matcher:
    def __init__(self, root: dict[str, Any]) -> None:
        self._root = root
        self._steps = 0
        self._depth = 0

    def first(self, value: Any, schema: Any, path: tuple[str, ...]) -> str | None:
        """Where and how ``value`` departs from ``schema`` (the first place found), or None."""
        self._steps += 1
        self._depth += 1
        try:
            return self._first(value, schema, path)
        finally:
            self._depth -= 1

    def _first(self, value: Any, schema: Any, path: tuple[str, ...]) -> str | None:
        if self._steps > MAX_STEPS or self._depth > MAX_DEPTH:
            raise SchemaError("the schema is too complex to check an answer against")
        if schema is True or schema == {}:
            return None
        if schema is False:
            return f"{_at(path)}: no value is allowed here"
        if "$ref" in schema:
            problem = self.first(value, _resolve(self._root, schema["$ref"]), path)
            if problem:
                return problem
        kind = schema.get("type")
        if kind is not None:
            kinds = kind if isinstance(kind, list) else [kind]
            if not any(_is(value, k) for k in kinds):
                return f"{_at(path)}: expected {' or '.join(kinds)}, got {_type_of(value)}"
        if "const" in schema and value != schema["const"]:
            return f"{_at(path)}: not the one allowed value"
        if "enum" in schema and value not in schema["enum"]:
            return f"{_at(path)}: not one of the {len(schema['enum'])} allowed values"
        return self._shape(value, schema, path) or self._combined(value, schema, path)

    def _shape(self, value: Any, schema: dict[str, Any], path: tuple[str, ...]) -> str | None:
        if isinstance(value, dict):
            for name in schema.get("required", ()):
                if name not in value:
                    return f"{_at(path)}: the required property {name!r} is missing"
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties", True)
            for name, item in value.items():
                sub = properties.get(name, extra)
                if sub is False:
                    return f"{_at(path)}: the property {name!r} is not allowed"
                if problem := self.first(item, sub, (*path, name)):
                    return problem
        elif isinstance(value, list):
            prefix = schema.get("prefixItems", [])
            if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", math.inf):
                return f"{_at(path)}: {len(value)} items, outside the allowed count"
            for i, item in enumerate(value):
                sub = prefix[i] if i < len(prefix) else schema.get("items", True)
                if problem := self.first(item, sub, (*path, str(i))):
                    return problem
        elif isinstance(value, str):
            if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", math.inf):
                return f"{_at(path)}: a string of {len(value)} characters, outside the allowed length"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            low, high = schema.get("minimum", -math.inf), schema.get("maximum", math.inf)
            above = schema.get("exclusiveMinimum", -math.inf)
            below = schema.get("exclusiveMaximum", math.inf)
            if not (low <= value <= high and above < value < below):
                return f"{_at(path)}: the number is outside the allowed range"
        return None

    def _combined(self, value: Any, schema: dict[str, Any], path: tuple[str, ...]) -> str | None:
        for sub in schema.get("allOf", ()):
            if problem := self.first(value, sub, path):
                return problem
        if "anyOf" in schema and all(self.first(value, s, path) for s in schema["anyOf"]):
            return f"{_at(path)}: matches none of the anyOf alternatives"
        if "oneOf" in schema:
            matching = sum(1 for s in schema["oneOf"] if not self.first(value, s, path))
            if matching != 1:
                return f"{_at(path)}: matches {matching} of the oneOf alternatives, not exactly one"
        return None


def mismatch(value: Any, schema: dict[str, Any]) -> str | None:
    """Where ``value`` (parsed JSON) departs from ``schema`` (checked by :func:`schema_problem`)."""
    return _Matcher(schema).first(value, schema, ())
