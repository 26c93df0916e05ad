from __future__ import annotations

from typing import Any

import pytest

from lambda_src.adapters.jsonpath import JsonPathError, build, find, parse


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("$", ()),
        ("$[0].generated_text", (0, "generated_text")),
        ("$.outputs[0]['text']", ("outputs", 0, "text")),
        ('$["a b"][-1].c-d', ("a b", -1, "c-d")),
    ],
)
def test_parse(path: str, steps: tuple[Any, ...]) -> None:
    assert parse(path) == steps


@pytest.mark.parametrize("path", ["", "outputs", "$..text", "$.a[*]", "$[?(@.x)]", "$.a[", "$.a;rm"])
def test_unsupported_paths_are_refused(path: str) -> None:
    with pytest.raises(JsonPathError):
        parse(path)


def test_find() -> None:
    doc = {"choices": [{"message": {"content": "hi"}}], "list": [1, 2, 3]}

    assert find(doc, "$.choices[0].message.content") == "hi"
    assert find(doc, "$.list[-1]") == 3
    assert find(doc, "$") is doc


@pytest.mark.parametrize("path", ["$.missing", "$.list[9]", "$.choices.message", "$[0]"])
def test_find_what_is_not_there(path: str) -> None:
    with pytest.raises(JsonPathError):
        find({"choices": [{}], "list": [1]}, path)


def test_build_creates_objects_and_a_first_list_item_without_changing_the_input() -> None:
    base = {"parameters": {"a": 1}, "keep": True}

    out = build("parameters.max_new_tokens", 5, into=base)
    out2 = build("instances[0].text", "prompt")

    assert out == {"parameters": {"a": 1, "max_new_tokens": 5}, "keep": True}
    assert base == {"parameters": {"a": 1}, "keep": True}
    assert out2 == {"instances": [{"text": "prompt"}]}


@pytest.mark.parametrize(("path", "into"), [("a[3]", {}), ("a.b", {"a": 5}), ("a[0]", {"a": {}})])
def test_build_refuses_impossible_paths(path: str, into: dict[str, Any]) -> None:
    with pytest.raises(JsonPathError):
        build(path, "x", into=into)
