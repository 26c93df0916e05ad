from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_src.adapters.prompts import (
    FORMATS,
    TemplateError,
    build_prompt,
    check_template,
    conversation,
    render_template,
)
from lambda_src.api_types import ChatCompletionRequest
from lambda_src.exceptions import InvalidRequestError
from lambda_src.inventory import ModelSpec

SPEC = ModelSpec(id="m", provider="sagemaker", model="endpoint")
CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "Who are you?"},
]


def _request(messages: list[dict[str, Any]]) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate_json(json.dumps({"model": "m", "messages": messages}))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "llama2-chat",
            "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Who are you? [/INST]",
        ),
        (
            "llama3-chat",
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nWho are you?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
        ),
        ("mistral-instruct", "<s>[INST] Be brief.\n\nHi [/INST] Hello!</s>[INST] Who are you? [/INST]"),
        ("falcon", "Be brief.\nUser: Hi\nFalcon: Hello!\nUser: Who are you?\nFalcon:"),
        (
            "chatml",
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nWho are you?<|im_end|>\n"
            "<|im_start|>assistant\n",
        ),
    ],
)
def test_chat_formats(name: str, expected: str) -> None:
    assert FORMATS[name].render(conversation(_request(CHAT), SPEC)) == expected


def test_consecutive_user_messages_are_one_turn_in_paired_formats() -> None:
    request = _request([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])

    assert FORMATS["llama2-chat"].render(conversation(request, SPEC)) == "<s>[INST] a\n\nb [/INST]"


def test_template_substitutes_placeholders_once_and_never_evaluates() -> None:
    request = _request(
        [
            {"role": "system", "content": "sys {prompt}"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "answer"},
            {"role": "user", "content": "{0.__class__} {history}"},
        ]
    )

    rendered = render_template("S={system}|H={history}|P={prompt}|{unknown}", conversation(request, SPEC))

    assert rendered == "S=sys {prompt}|H=User: first\nAssistant: answer\n|P={0.__class__} {history}|{unknown}"


def test_template_wins_over_format_and_format_over_default() -> None:
    request = _request([{"role": "user", "content": "x"}])
    templated = SPEC.model_copy(update={"prompt_template": "Q: {prompt}\nA:", "prompt_format": "chatml"})
    formatted = SPEC.model_copy(update={"prompt_format": "falcon"})

    assert build_prompt(templated, request, "plain") == ("Q: x\nA:", ())
    assert build_prompt(formatted, request, "plain") == ("User: x\nFalcon:", ("\nUser:",))
    assert build_prompt(SPEC, request, "plain") == ("User: x\nAssistant:", ("\nUser:",))


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}],
                }
            ],
            "does not accept images",
        ),
        (
            [
                {"role": "user", "content": "x"},
                {
                    "role": "assistant",
                    "tool_calls": [{"id": "1", "function": {"name": "f", "arguments": "{}"}}],
                },
                {"role": "tool", "tool_call_id": "1", "content": "r"},
            ],
            "does not support tool messages",
        ),
        (
            [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}],
            "last message must come from the user",
        ),
    ],
)
def test_what_a_text_prompt_cannot_carry_is_a_400(messages: list[dict[str, Any]], match: str) -> None:
    with pytest.raises(InvalidRequestError, match=match):
        conversation(_request(messages), SPEC)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{0.__globals__}",
        "{{ config }}",
        "{% import os %}",
        "{config}",
        "{ prompt }",
        "{prompt!r}",
        "{prompt:>10}",
        "{#comment}",
    ],
)
def test_check_template_refuses_other_engines_syntax(template: str) -> None:
    with pytest.raises(TemplateError, match="the only placeholders are"):
        check_template("ok {prompt} " + template)


@pytest.mark.parametrize(
    "template",
    ['{"inputs": "{prompt}", "parameters": {}}', "{system}\n\n{history}User: {prompt}", "{}", "a } b {"],
)
def test_check_template_accepts_placeholders_and_json_braces(template: str) -> None:
    check_template(template)


def test_foreign_syntax_in_a_stored_template_renders_inert() -> None:
    request = _request([{"role": "user", "content": "x"}])

    rendered = render_template(
        "{{ ''.__class__ }} {0.__globals__} {% import os %} {prompt}", conversation(request, SPEC)
    )

    assert rendered == "{{ ''.__class__ }} {0.__globals__} {% import os %} x"


def test_the_rendered_size_is_bounded_before_rendering() -> None:
    request = _request([{"role": "user", "content": "x" * 100}])

    with pytest.raises(InvalidRequestError, match="renders 10100 characters"):
        render_template("{prompt}" * 101, conversation(request, SPEC), max_chars=10_000)
    assert len(render_template("{prompt}" * 100, conversation(request, SPEC), max_chars=10_000)) == 10_000
