"""SageMaker codecs (pure) and the endpoint call (against the wire fake)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_src.adapters.sagemaker import SageMakerModel, invoke_endpoint_kwargs
from lambda_src.adapters.sagemaker_codecs import (
    ContentHandlerCodec,
    Invocation,
    JumpStartLlama2Chat,
    TgiGenerate,
    TgiMessages,
    codec_for,
    cut_at_stops,
)
from lambda_src.api_types import ChatCompletionRequest
from lambda_src.aws_clients import AwsClients
from lambda_src.exceptions import ConfigurationError, InvalidRequestError, UpstreamError
from lambda_src.inventory import ModelSpec
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def _request(**body: Any) -> ChatCompletionRequest:
    body.setdefault("model", "m")
    body.setdefault("messages", [{"role": "system", "content": "sys"}, {"role": "user", "content": "hello"}])
    return ChatCompletionRequest.model_validate_json(json.dumps(body))


def _spec(**fields: Any) -> ModelSpec:
    return ModelSpec.model_validate({"id": "m", "provider": "sagemaker", "model": "endpoint-1", **fields})


@pytest.mark.parametrize(
    ("api", "codec"),
    [
        (None, TgiMessages),
        ("tgi-messages", TgiMessages),
        ("tgi-generate", TgiGenerate),
        ("jumpstart-llama2-chat", JumpStartLlama2Chat),
        ("content-handler", ContentHandlerCodec),
    ],
)
def test_codec_is_chosen_by_the_api_field(api: str | None, codec: type) -> None:
    assert isinstance(codec_for(_spec(api=api)), codec)


def test_bedrock_api_on_an_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="converse"):
        codec_for(_spec(api="converse"))


# --- tgi-messages -------------------------------------------------------------------------------


def test_tgi_messages_request_passes_openai_messages_and_tools() -> None:
    request = _request(
        messages=[{"role": "developer", "content": "sys"}, {"role": "user", "content": "hi"}],
        max_tokens=64,
        temperature=0.3,
        stop=["###"],
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "lookup"}},
    )

    invocation = TgiMessages().encode(_spec(model_kwargs={"frequency_penalty": 0.5}), request)

    assert (invocation.content_type, invocation.accept) == ("application/json", "application/json")
    assert json.loads(invocation.body) == {
        "frequency_penalty": 0.5,
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
        "stream": False,
        "max_tokens": 64,
        "temperature": 0.3,
        "stop": ["###"],
        "tools": TOOLS,
        "tool_choice": {"type": "function", "function": {"name": "lookup"}},
    }


def test_tgi_messages_response_with_object_arguments_and_eos() -> None:
    body = {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "0", "type": "function", "function": {"name": "lookup", "arguments": {"q": 1}}}
                    ],
                },
                "finish_reason": "eos_token",
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 4},
    }

    result = TgiMessages().decode(json.dumps(body).encode(), Invocation(b""))

    assert result.content is None
    assert [(c.id, c.name, json.loads(c.arguments)) for c in result.tool_calls] == [("0", "lookup", {"q": 1})]
    assert result.finish_reason == "tool_calls"
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (11, 4)


# --- tgi-generate -------------------------------------------------------------------------------


def test_tgi_generate_renders_the_prompt_format_and_maps_parameters() -> None:
    spec = _spec(api="tgi-generate", prompt_format="mistral-instruct")

    invocation = TgiGenerate().encode(spec, _request(max_tokens=10, temperature=0, top_p=1, stop="</s>"))

    assert json.loads(invocation.body) == {
        "inputs": "<s>[INST] sys\n\nhello [/INST]",
        "parameters": {
            "details": True,
            "return_full_text": False,
            "max_new_tokens": 10,
            "do_sample": False,
            "stop": ["</s>"],
        },
    }


def test_tgi_generate_response_cut_at_stops_with_counts() -> None:
    body = [
        {
            "generated_text": "Paris.\nUser: and",
            "details": {"finish_reason": "stop_sequence", "generated_tokens": 5, "prefill": [{}, {}, {}]},
        }
    ]

    result = TgiGenerate().decode(json.dumps(body).encode(), Invocation(b"", stops=("\nUser:",)))

    assert (result.content, result.finish_reason) == ("Paris.", "stop")
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (3, 5)


def test_tgi_generate_refuses_tools() -> None:
    with pytest.raises(InvalidRequestError, match="does not support tools"):
        TgiGenerate().encode(_spec(api="tgi-generate"), _request(tools=TOOLS))


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"text": "x"}', b'[{"generated_text": 5}]'])
def test_tgi_generate_malformed_answers_are_502(body: bytes) -> None:
    with pytest.raises(UpstreamError):
        TgiGenerate().decode(body, Invocation(b""))


# --- JumpStart ----------------------------------------------------------------------------------


def test_jumpstart_dialog_with_the_eula_attribute() -> None:
    invocation = JumpStartLlama2Chat().encode(
        _spec(api="jumpstart-llama2-chat"), _request(max_tokens=32, top_p=0.9)
    )

    assert json.loads(invocation.body) == {
        "inputs": [[{"role": "system", "content": "sys"}, {"role": "user", "content": "hello"}]],
        "parameters": {"max_new_tokens": 32, "top_p": 0.9},
    }
    assert invocation.custom_attributes == "accept_eula=true"
    result = JumpStartLlama2Chat().decode(
        b'[{"generation": {"role": "assistant", "content": "hi"}}]', invocation
    )
    assert result.content == "hi"


# --- content handler ----------------------------------------------------------------------------


def test_content_handler_places_prompt_and_named_parameters() -> None:
    spec = _spec(
        api="content-handler",
        prompt_template="{system}\n\nQ: {prompt}\nA:",
        model_kwargs={"do_sample": True},
        content_handler={
            "content_type": "application/json",
            "accepts": "application/json",
            "input_prompt_path": "instances[0].text",
            "input_kwargs_path": "config",
            "output_path": "$.predictions[0].output",
            "parameter_names": {"max_tokens": "max_length"},
        },
    )
    codec = codec_for(spec)

    invocation = codec.encode(spec, _request(max_tokens=7, temperature=0.5))
    result = codec.decode(b'{"predictions": [{"output": ["A: Paris"]}]}', invocation)

    assert json.loads(invocation.body) == {
        "instances": [{"text": "sys\n\nQ: hello\nA:"}],
        "config": {"do_sample": True, "max_length": 7},
    }
    assert result.content == "A: Paris"


def test_content_handler_with_text_bodies() -> None:
    spec = _spec(
        api="content-handler", content_handler={"content_type": "text/plain", "accepts": "text/plain"}
    )
    codec = codec_for(spec)

    invocation = codec.encode(spec, _request())

    assert invocation.body == b"sys\n\nUser: hello\nAssistant:"
    assert codec.decode(b"Bonjour\nUser: more", invocation).content == "Bonjour"


@pytest.mark.parametrize("body", [b'{"predictions": []}', b'{"predictions": [{"output": 3}]}', b"\xff"])
def test_content_handler_answer_not_at_the_path_is_a_502(body: bytes) -> None:
    spec = _spec(api="content-handler", content_handler={"output_path": "$.predictions[0].output"})
    codec = codec_for(spec)

    with pytest.raises(UpstreamError):
        codec.decode(body, codec.encode(spec, _request()))


def test_content_handler_bad_output_path_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="content_handler"):
        codec_for(_spec(api="content-handler", content_handler={"output_path": "outputs..text"}))


def test_cut_at_stops_uses_the_earliest() -> None:
    assert cut_at_stops("a STOP b END", ("END", "STOP")) == ("a ", True)
    assert cut_at_stops("abc", ("", "x")) == ("abc", False)


# --- the endpoint call --------------------------------------------------------------------------


def test_endpoint_options_become_invoke_endpoint_arguments() -> None:
    spec = _spec(
        api="jumpstart-llama2-chat",
        endpoint_kwargs={
            "target_variant": "blue",
            "inference_component_name": "ic-1",
            "custom_attributes": "x=1",
        },
    )

    kwargs = invoke_endpoint_kwargs(spec, Invocation(b"{}", custom_attributes="accept_eula=true"))

    assert kwargs == {
        "EndpointName": "endpoint-1",
        "Body": b"{}",
        "ContentType": "application/json",
        "Accept": "application/json",
        "CustomAttributes": "x=1",
        "TargetVariant": "blue",
        "InferenceComponentName": "ic-1",
    }


def test_jumpstart_call_sends_the_eula_header(sagemaker: FakeSageMakerRuntime) -> None:
    spec = _spec(api="jumpstart-llama2-chat", region="us-east-1")

    result = SageMakerModel(spec, AwsClients()).chat(_request())

    (sent,) = sagemaker.requests
    assert (sent.operation, sent.target) == ("InvokeEndpoint", "endpoint-1")
    assert sent.headers["x-amzn-sagemaker-custom-attributes"] == "accept_eula=true"
    assert sent.headers["content-type"] == "application/json"
    assert result.content == "echo: hello"
