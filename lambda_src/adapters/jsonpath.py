"""The small JSONPath subset content handlers use: ``$``, ``.name``, ``['name']`` and ``[index]``.

``$[0].generated_text``, ``$.outputs[0]['text']``, ``$.choices[-1].message.content``. Input
paths use the same steps without the ``$``: ``inputs``, ``instances[0].text``. A path has at most
MAX_PATH_LENGTH characters and MAX_STEPS steps; an index has at most four digits.
"""

from __future__ import annotations

import functools
import re
from typing import Any

Step = str | int

# Paths come from admins' custom specs too: parsing and caching them stay bounded.
MAX_PATH_LENGTH = 256
MAX_STEPS = 16

_STEP = re.compile(
    r"""\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)
      | \[(?P<index>-?\d{1,4})\]
      | \[(?P<q>['"])(?P<quoted>(?:(?!(?P=q)).)*)(?P=q)\]""",
    re.VERBOSE,
)


class JsonPathError(ValueError):
    """A path outside the supported subset, or one that does not match the document."""


@functools.lru_cache(maxsize=64)
def parse(path: str) -> tuple[Step, ...]:
    """``$.a[0]['b c']`` -> ``("a", 0, "b c")``."""
    if len(path) > MAX_PATH_LENGTH:
        raise JsonPathError(f"a JSONPath may have at most {MAX_PATH_LENGTH} characters")
    if not path.startswith("$"):
        raise JsonPathError(f"JSONPath {path!r} must start with '$'")
    steps: list[Step] = []
    pos = 1
    while pos < len(path):
        m = _STEP.match(path, pos)
        if not m:
            raise JsonPathError(f"JSONPath {path!r}: unsupported syntax at position {pos}")
        if m.group("name") is not None:
            steps.append(m.group("name"))
        elif m.group("index") is not None:
            steps.append(int(m.group("index")))
        else:
            steps.append(m.group("quoted"))
        pos = m.end()
        if len(steps) > MAX_STEPS:
            raise JsonPathError(f"a JSONPath may have at most {MAX_STEPS} steps")
    return tuple(steps)


def parse_input_path(path: str) -> tuple[Step, ...]:
    """``instances[0].text`` -> ``("instances", 0, "text")``; at least one step."""
    steps = parse("$" + (path if path.startswith("[") else "." + path))
    if not steps:
        raise JsonPathError(f"input path {path!r} is empty")
    return steps


def find(document: Any, path: str) -> Any:
    """The value at ``path``; :class:`JsonPathError` when the document does not have it."""
    node = document
    for step in parse(path):
        try:
            if isinstance(step, int):
                if not isinstance(node, list):
                    raise TypeError
                node = node[step]
            else:
                if not isinstance(node, dict):
                    raise TypeError
                node = node[step]
        except (IndexError, KeyError, TypeError):
            raise JsonPathError(f"the response has nothing at {path}") from None
    return node


def build(path: str, value: Any, into: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new document: ``into`` (copied, not changed) with ``value`` placed at input ``path``.

    Missing objects are created; a missing list can only be started at index 0.
    """
    steps = parse_input_path(path)
    root: dict[str, Any] = dict(into or {})
    node: Any = root
    for i, step in enumerate(steps):
        if isinstance(step, int):
            if not isinstance(node, list):
                raise JsonPathError(f"input path {path!r}: [{step}] needs a list")
            if step == len(node) == 0:
                node.append(None)
            if not -len(node) <= step < len(node):
                raise JsonPathError(f"input path {path!r}: index {step} cannot be created")
        elif not isinstance(node, dict):
            raise JsonPathError(f"input path {path!r}: {step!r} needs an object")
        if i == len(steps) - 1:
            node[step] = value
            break
        want: type = list if isinstance(steps[i + 1], int) else dict
        child = node.get(step) if isinstance(node, dict) else node[step]
        if child is None:
            child = want()
        elif isinstance(child, want):
            child = want(child)  # copied: ``into`` stays as it was
        else:
            raise JsonPathError(f"input path {path!r}: {step!r} holds the wrong kind of value")
        node[step] = child
        node = child
    return root
