"""Token streaming end to end: the OpenAI SDK and LangChain against ``scripts/serve`` (the app under
uvicorn, as in Lambda minus the adapter), each provider's fake streaming its real wire format.

No clock is read: each fake holds back the rest of its answer after the first content piece
until the test, having received that piece, releases it. A server that buffered the answer
would deliver nothing before the release, and the fake would end the stream with an error when
its hold times out, which fails the test.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from tests.e2e.conftest import Served

SERVED_BY = {"claude": "bedrock", "tgi": "sagemaker", "falcon": "sagemaker", "gpt-mini": "openai"}


def _fake(server: Served, model: str) -> Any:
    return getattr(server, SERVED_BY[model])


@pytest.mark.parametrize("model", ["claude", "tgi", "falcon", "gpt-mini"])
def test_the_first_piece_arrives_while_the_model_is_still_generating(
    client: openai.OpenAI, server: Served, model: str
) -> None:
    fake = _fake(server, model)
    messages: Any = [{"role": "user", "content": "tell me three words"}]
    whole = client.chat.completions.create(model=model, messages=messages).choices[0].message.content
    fake.stream.hold_after = 1
    stream = client.chat.completions.create(
        model=model,
        messages=messages,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces: list[str] = []
    chunks = iter(stream)
    for chunk in chunks:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
            break
    # The client holds a piece of the answer; the fake has not sent the rest yet.
    assert fake.stream.holding.is_set()
    assert fake.stream.outcomes == []
    fake.stream.release()
    rest = list(chunks)

    pieces += [c.choices[0].delta.content or "" for c in rest if c.choices]
    assert "".join(pieces) == whole  # the same answer as unstreamed, in more than one piece
    assert len([p for p in pieces if p]) > 1
    assert fake.stream.outcome() == "complete"
    finishes = [c.choices[0].finish_reason for c in rest if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    usage = rest[-1].usage
    assert rest[-1].choices == [] and usage is not None and usage.completion_tokens > 0


def test_langchain_streams_piece_by_piece(server: Served) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=server.base_url, api_key="unused", model="claude", max_retries=0)  # type: ignore[arg-type]
    server.bedrock.stream.hold_after = 1
    stream = chat.stream("say something")
    first = next(piece for piece in stream if piece.content)
    assert server.bedrock.stream.holding.is_set()
    server.bedrock.stream.release()
    text = str(first.content) + "".join(str(piece.content) for piece in stream)
    assert text == "echo: say something"


def _collect(stream: Any, into: list[str]) -> None:
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            into.append(chunk.choices[0].delta.content)


def test_a_failure_mid_stream_is_an_error_event_not_a_silent_end(
    client: openai.OpenAI, server: Served
) -> None:
    server.bedrock.stream.fail_after = 2
    stream = client.chat.completions.create(
        model="claude", messages=[{"role": "user", "content": "one two three four"}], stream=True
    )
    received: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        _collect(stream, received)
    assert len(received) == 2  # what came before the failure reached the client
    assert "claude" in str(caught.value.message)
    assert server.bedrock.stream.outcome() == "failed"


def test_an_error_before_the_first_byte_is_an_http_error(client: openai.OpenAI, server: Served) -> None:
    from tests.fakes import bedrock_runtime

    server.bedrock.always("us.anthropic.claude-haiku-4-5-20251001-v1:0", bedrock_runtime.THROTTLED)
    with pytest.raises(openai.RateLimitError):
        list(
            client.chat.completions.create(
                model="claude", messages=[{"role": "user", "content": "x"}], stream=True
            )
        )


def test_a_client_that_leaves_closes_the_upstream_stream(server: Served) -> None:
    fake = server.bedrock
    fake.stream.hold_after = 1
    body = {
        "model": "claude",
        "stream": True,
        "messages": [{"role": "user", "content": "a long answer please"}],
    }
    with (
        httpx.Client(timeout=30) as http,
        http.stream("POST", f"{server.base_url}/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: {") and '"content":"' in line and '"content":""' not in line:
                break  # the first piece arrived: leave without reading the rest
    # The server noticed the client was gone and closed its upstream stream; the fake sees
    # that while it still holds the answer back.
    assert fake.stream.outcome() == "client_closed"
    fake.stream.release()


def test_streamed_answers_carry_tool_calls_as_openai_streams_them(
    client: openai.OpenAI, server: Served
) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
    stream = client.chat.completions.create(
        model="tgi", messages=[{"role": "user", "content": "find it"}], tools=[tool], stream=True
    )
    calls = [tc for c in stream if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [tc.function.name for tc in calls if tc.function and tc.function.name] == ["lookup"]
    arguments = "".join(tc.function.arguments or "" for tc in calls if tc.function)
    assert isinstance(json.loads(arguments), dict)
