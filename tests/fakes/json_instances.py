"""A value that fits a JSON schema, as a model under constrained decoding writes one: the fakes
answer structured-output requests with it."""

from __future__ import annotations

from typing import Any

_DEPTH = 8


def _resolve(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in [p for p in ref.lstrip("#").split("/") if p]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def instance(schema: Any, root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """The simplest value ``schema`` accepts (every listed property filled in)."""
    root = root if root is not None else schema
    if not isinstance(schema, dict) or depth > _DEPTH:
        return None
    if "$ref" in schema:
        return instance(_resolve(root, schema["$ref"]), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return instance(schema[key][0], root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return instance(merged, root, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: instance(sub, root, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        count = max(1, schema.get("minItems", 1))
        return [instance(schema.get("items", {"type": "string"}), root, depth + 1) for _ in range(count)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1.5, schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "x" * max(1, schema.get("minLength", 1))
