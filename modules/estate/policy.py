"""The shared IAM statements (``modules.grants.Grant``) as ``aws_iam_policy_document`` blocks of an
exported module, so the stack and the modules grant from one source."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from modules.grants import Grant, TerraformList, Values


def _values(values: Values) -> list[str] | str:
    return f"${{{values.expression}}}" if isinstance(values, TerraformList) else list(values)


def statement_block(grant: Grant) -> dict[str, Any]:
    block: dict[str, Any] = {
        "sid": grant.sid,
        "effect": "Allow",
        "actions": list(grant.actions),
        "resources": _values(grant.resources),
    }
    if grant.conditions:
        block["condition"] = [
            {"test": test, "variable": variable, "values": _values(values)}
            for test, variable, values in grant.conditions
        ]
    return block


def present_when(grant: Grant, when: Mapping[str, str]) -> str | None:
    """The Terraform condition under which a statement exists: given in ``when`` by sid, or "its
    list of resources is not empty" for statements filled from a Terraform list."""
    if grant.sid in when:
        return when[grant.sid]
    if isinstance(grant.resources, TerraformList):
        return f"length({grant.resources.expression}) > 0"
    return None


def policy_document(grants: Sequence[Grant], *, when: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The body of a ``data.aws_iam_policy_document``: statements that always exist, and a dynamic
    statement for each one that exists only under a condition."""
    when = when or {}
    static = [statement_block(g) for g in grants if present_when(g, when) is None]
    dynamic = [
        {"for_each": f"${{{condition} ? [1] : []}}", "content": statement_block(g)}
        for g in grants
        if (condition := present_when(g, when)) is not None
    ]
    body: dict[str, Any] = {}
    if static:
        body["statement"] = static
    if dynamic:
        body["dynamic"] = {"statement": dynamic}
    return body


def hcl_string_map(values: Mapping[str, str]) -> str:
    """An HCL object expression of strings; a value that is one ``${...}`` interpolation becomes
    that expression (quotes inside it cannot be escaped in a template)."""

    def value(text: str) -> str:
        if text.startswith("${") and text.endswith("}") and text.count("${") == 1:
            return text[2:-1]
        if "${" in text:
            raise ValueError(f"cannot write {text!r} as one HCL expression")
        return json.dumps(text)

    return "{" + ", ".join(f"{json.dumps(k)} = {value(v)}" for k, v in values.items()) + "}"
