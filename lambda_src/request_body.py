"""Validate a request body into a request model.

Every failure is an :class:`InvalidRequestError` (400) or :class:`RequestTooLargeError` (413)
whose message names the parameter and what is wrong, and never echoes what was sent: a
rejected body may hold anything, including secrets pasted by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lambda_src.exceptions import InvalidRequestError, RequestTooLargeError

# A Function URL refuses invocation payloads above 6 MB, so a larger body cannot come from it.
MAX_BODY_BYTES = 6 * 1024 * 1024

M = TypeVar("M", bound=BaseModel)

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
# Error types whose messages are written in this package (validators, discriminators).
_OWN_MESSAGES = frozenset(
    {"value_error", "invalid_role", "invalid_content", "invalid_content_part", "invalid_tool_choice"}
    | {"invalid_stop", "invalid_input", "invalid_item", "invalid_tool"}
)
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "an array",
    "tuple_type": "an array",
}
_BOUNDS = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">", "less_than": "<"}


def check_body(raw: bytes) -> bytes:
    """The raw body, if present, within the size limit and valid UTF-8."""
    if not raw:
        raise InvalidRequestError("the request body is required")
    if len(raw) > MAX_BODY_BYTES:
        raise too_large()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError("the request body is not valid UTF-8") from None
    return raw


def parse_body(raw: bytes, model: type[M]) -> M:
    raw = check_body(raw)
    try:
        return model.model_validate_json(raw)
    except ValidationError as err:
        raise describe_validation_error(err.errors(include_url=False, include_input=False)) from None


def too_large() -> RequestTooLargeError:
    return RequestTooLargeError(f"the request body is larger than {MAX_BODY_BYTES} bytes")


def _param(loc: Sequence[int | str]) -> str | None:
    # "<...>" parts are union tags, not fields; keys that came from the client are masked.
    parts = [
        str(p) if isinstance(p, int) or _SAFE_NAME.match(p) else "?"
        for p in loc
        if not (isinstance(p, str) and p.startswith("<"))
    ]
    return ".".join(parts) or None


def _is_prefix(short: Sequence[Any], long: Sequence[Any]) -> bool:
    return len(short) < len(long) and tuple(long[: len(short)]) == tuple(short)


def describe_validation_error(errors: Sequence[ErrorDetails]) -> InvalidRequestError:
    """One readable 400 for pydantic's errors: the first one, and how many more there are."""
    # An invalid item also makes its list "too short after validation": that one is noise.
    errors = [
        e
        for e in errors
        if not (e["type"] == "too_short" and any(_is_prefix(e["loc"], o["loc"]) for o in errors))
    ] or list(errors)
    if not errors:
        return InvalidRequestError("invalid request")
    first = errors[0]
    message, param = _describe(first)
    more = len(errors) - 1
    return InvalidRequestError(message + (f"; and {more} more error(s)" if more else ""), param=param)


def _describe(error: ErrorDetails) -> tuple[str, str | None]:
    kind = error["type"]
    param = _param(error["loc"])
    ctx = error.get("ctx") or {}
    if kind == "json_invalid":
        return "the request body is not valid JSON", None
    if param is None and kind in ("model_type", "model_attributes_type", "dict_type"):
        return "the request body must be a JSON object", None
    if kind == "missing":
        return f"missing required parameter: {param!r}", param
    if kind == "extra_forbidden":
        name = error["loc"][-1]
        shown = f": {name}" if isinstance(name, str) and _SAFE_NAME.match(name) else ""
        return f"Unrecognized request argument supplied{shown}", param
    where = f"{param!r}" if param else "the request body"
    if kind in _OWN_MESSAGES:
        own = error["msg"].removeprefix("Value error, ")
        return (f"invalid {where}: {own}" if param else own), param
    if kind in _EXPECTED:
        return f"invalid type for {where}: expected {_EXPECTED[kind]}", param
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()), None)
        return f"{where} must be {_BOUNDS[kind]} {bound}", param
    if kind == "literal_error":
        return f"invalid value for {where}: expected {ctx.get('expected')}", param
    if kind == "string_pattern_mismatch":
        return f"invalid value for {where}: must match {ctx.get('pattern')}", param
    if kind == "finite_number":
        return f"{where} must be a finite number", param
    if kind in ("too_short", "too_long"):
        word = "at least" if kind == "too_short" else "at most"
        count = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"{where} must have {word} {count} item(s)", param
    if kind in ("string_too_short", "string_too_long"):
        word = "at least" if kind == "string_too_short" else "at most"
        count = ctx.get("min_length" if kind == "string_too_short" else "max_length")
        return f"{where} must have {word} {count} character(s)", param
    return f"invalid value for {where} ({kind})", param
