"""JavaScript clients against ``scripts/serve``: the official ``openai`` npm package (chat, streaming,
tools, responses) and the Vercel AI SDK's OpenAI provider with its defaults (the Responses API),
each scenario one ``node tests/node/clients.mjs`` run (pinned in ``tests/node/package-lock.json``,
installed by ``scripts/test``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from tests.e2e.conftest import Served
from tests.support import REPO_ROOT

NODE_DIR = REPO_ROOT / "tests" / "node"


def _run(scenario: str, server: Served) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    if not (NODE_DIR / "node_modules" / "openai").is_dir():
        pytest.skip("tests/node/node_modules is missing: ./scripts/test installs it with npm ci")
    done = subprocess.run(
        [node, str(NODE_DIR / "clients.mjs"), scenario, server.base_url],
        capture_output=True, text=True, timeout=60, check=False, cwd=NODE_DIR,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_chat(server: Served) -> None:
    result = _run("chat", server)

    assert result["content"] == "echo: hello from node"
    assert result["usage"]["total_tokens"] == 7  # the fake counts words: 3 in, 4 out
    assert server.bedrock.requests[0].target == "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_chat_stream(server: Served) -> None:
    result = _run("chat-stream", server)

    assert len(result["pieces"]) > 1 and "".join(result["pieces"]) == "echo: stream to node please"
    assert result["usage"]["completion_tokens"] == 5


def test_chat_tools(server: Served) -> None:
    result = _run("chat-tools", server)

    assert (result["finish"], result["name"]) == ("tool_calls", "get_weather")
    assert result["arguments"] == {"query": "Weather in Lyon?"}
    assert result["answer"] == 'tool said: {"celsius": 20}'


def test_responses(server: Served) -> None:
    result = _run("responses", server)

    assert (result["text"], result["status"]) == ("echo: hi node", "completed")
    assert result["usage"]["output_tokens"] == 3


def test_responses_stream(server: Served) -> None:
    result = _run("responses-stream", server)

    assert result["text"] == "echo: a streamed node answer"
    types = result["types"]
    assert types[:2] == ["response.created", "response.in_progress"] and types[-1] == "response.completed"
    assert types.count("response.output_text.delta") > 1


def test_responses_tools(server: Served) -> None:
    result = _run("responses-tools", server)

    assert (result["name"], result["arguments"]) == ("get_weather", {"query": "Weather in Nice?"})
    assert result["text"] == 'tool said: {"celsius": 24}'


def test_vercel_ai_sdk_generate_text_with_a_tool(server: Served) -> None:
    result = _run("ai-sdk-generate", server)

    assert result["calls"] == ["Weather in Rome?"]
    assert result["text"] == "tool said: sunny"
    assert result["steps"] == 2
    first, second = (r.json for r in server.bedrock.requests)
    assert first["system"] == [{"text": "Answer about the weather."}]
    call, answer = second["messages"][1:]
    assert answer["content"][0]["toolResult"]["toolUseId"] == call["content"][0]["toolUse"]["toolUseId"]


def test_vercel_ai_sdk_stream_text_with_a_tool(server: Served) -> None:
    result = _run("ai-sdk-stream", server)

    assert result["calls"] == ["Weather in Bern?"]
    assert "".join(result["pieces"]) == result["text"] == "tool said: sunny"


def test_vercel_ai_sdk_second_turn_needs_store_false(server: Served) -> None:
    result = _run("ai-sdk-second-turn", server)

    # Its default refers to the first answer by id, which a stateless API cannot resolve: a 400
    # that says what to do, before any model call.
    refused = result["byDefault"]
    assert refused["status"] == 400
    assert refused["body"]["error"]["param"] == "input.1"
    assert "store = false" in refused["body"]["error"]["message"]
    assert result["storeFalse"] == {"text": "echo: second turn"}
    assert len(server.bedrock.requests) == 2
    assert server.bedrock.requests[1].json["messages"][1] == {
        "role": "assistant",
        "content": [{"text": "echo: first turn"}],
    }
