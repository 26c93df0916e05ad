"""Clients as people use them, against ``scripts/serve``: LangChain's ``OpenAIEmbeddings`` with its
defaults (token arrays) on a Bedrock embedding model, and an ``openai_compatible`` provider
answering through an OpenAI-compatible fake with its key from the keys file."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

from lambda_src.token_arrays import VOCABULARY_FILE
from modules import token_vocabulary
from tests.e2e.conftest import ADMIN_CALLER, CONFIG, OPENAI_KEY, Fakes, Served, _serve
from tests.e2e.test_openai_sdk import WEATHER
from tests.fakes.openai_compatible import FakeChatCompletions

GROQ_KEY = "gsk-e2e-3f9a"
GROQ_MODEL = "llama-3.3-70b-versatile"


@dataclasses.dataclass(frozen=True)
class Deployment:
    served: Served
    groq: FakeChatCompletions


@pytest.fixture(scope="module")
def deployment(fakes: Fakes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("compat")
    with FakeChatCompletions(GROQ_KEY, prefix="/openai/v1") as groq:
        config: dict[str, Any] = json.loads(json.dumps(CONFIG))
        # The public id LangChain's OpenAIEmbeddings sends when given no model at all.
        config["bedrock"]["models"].append(
            {"id": "text-embedding-ada-002", "model_id": "amazon.titan-embed-text-v2:0", "task": "embedding"}
        )
        config["third_party"]["openai_compatible"] = [
            {
                "name": "groq",
                # Plain http on loopback: accepted by scripts/serve only, refused by a synth.
                "base_url": f"{groq.url}/openai/v1",
                "api_key_name": "GROQ_API_KEY",
                "headers": {"X-Team": "search"},
                "models": [{"id": "llama-fast", "model": GROQ_MODEL}],
            }
        ]
        (tmp / "config.json").write_text(json.dumps(config))
        keys = json.loads(fakes.keys.read_text()) | {"GROQ_API_KEY": GROQ_KEY}
        (tmp / "api-keys.json").write_text(json.dumps(keys))
        mine = dataclasses.replace(fakes, config=tmp / "config.json", keys=tmp / "api-keys.json")
        with _serve(mine, ADMIN_CALLER) as served:
            yield Deployment(served, groq)


@pytest.fixture
def served(deployment: Deployment, fakes: Fakes) -> Deployment:
    fakes.reset()
    deployment.groq.reset()
    return deployment


@pytest.fixture
def tiktoken_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tiktoken's cl100k_base file where tiktoken looks before downloading it, rebuilt from the
    function's vocabulary (tiktoken checks its SHA-256, so only the exact file is taken)."""
    ranks = token_vocabulary.decode_file(VOCABULARY_FILE.read_bytes())
    name = hashlib.sha1(token_vocabulary.TIKTOKEN_URL.encode()).hexdigest()  # noqa: S324 - tiktoken's cache key
    (tmp_path / name).write_bytes(token_vocabulary.tiktoken_text(ranks))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))


# --- OpenAIEmbeddings -------------------------------------------------------------------------------


@pytest.mark.usefixtures("tiktoken_offline")
def test_openai_embeddings_with_its_defaults_embeds_documents_on_bedrock(
    served: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a user sets: where the API is and a key (the Function URL signs requests instead).
    monkeypatch.setenv("OPENAI_BASE_URL", served.served.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "unused")
    texts = ["The cat sat on the mat.", "Ünïcödé and emoji 🐍 survive the round trip", "bye"]

    vectors = OpenAIEmbeddings().embed_documents(texts)

    assert [len(v) for v in vectors] == [8, 8, 8]  # the Titan fake's default size
    titan = served.served.bedrock.requests
    # LangChain sent cl100k_base token ids; Titan received the very texts they encode.
    assert sorted(r.json["inputText"] for r in titan) == sorted(texts)
    # Text-dependent vectors: each document gets its own, in order (one chunk each: not averaged).
    direct = openai.OpenAI(base_url=served.served.base_url, api_key="unused", max_retries=0)
    expected = [
        d.embedding for d in direct.embeddings.create(model="text-embedding-ada-002", input=texts).data
    ]
    for got, want in zip(vectors, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-6)


@pytest.mark.usefixtures("tiktoken_offline")
def test_openai_embeddings_names_a_model_tiktoken_does_not_know(served: Deployment) -> None:
    sent_inputs: list[Any] = []

    def record(request: httpx.Request) -> None:
        sent_inputs.append(json.loads(request.content)["input"])

    embeddings = OpenAIEmbeddings(
        model="titan-embed",
        base_url=served.served.base_url,
        api_key="unused",
        http_client=httpx.Client(event_hooks={"request": [record]}),
    )

    query = embeddings.embed_query("what is the weather in Paris?")

    assert len(query) == 8
    # What went over the wire: one batch of one cl100k_base token array, not the text.
    ((ids,),) = sent_inputs
    assert ids and all(isinstance(i, int) for i in ids)
    (sent,) = served.served.bedrock.requests
    assert sent.json["inputText"] == "what is the weather in Paris?"


def test_token_arrays_and_base64_through_the_openai_sdk(served: Deployment) -> None:
    client = openai.OpenAI(base_url=served.served.base_url, api_key="unused", max_retries=0)

    by_tokens = client.embeddings.create(
        model="titan-embed", input=[[9906, 1917, 0], [15339]], dimensions=512
    )
    by_text = client.embeddings.create(model="titan-embed", input=["Hello world!", "hello"], dimensions=512)

    assert [d.embedding for d in by_tokens.data] == [d.embedding for d in by_text.data]
    assert [len(d.embedding) for d in by_tokens.data] == [512, 512]


# --- openai_compatible ------------------------------------------------------------------------------


def _client(served: Deployment) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.served.base_url, api_key="unused", max_retries=0, timeout=30)


def test_an_openai_compatible_provider_answers_with_its_key_from_the_keys_file(served: Deployment) -> None:
    client = _client(served)

    completion = client.chat.completions.create(
        model="llama-fast", messages=[{"role": "user", "content": "bonjour"}], max_tokens=12
    )

    assert completion.choices[0].message.content == "echo: bonjour"
    assert ("llama-fast", "groq") in [(m.id, m.owned_by) for m in client.models.list()]
    (sent,) = served.groq.requests
    assert sent.path == "/openai/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {GROQ_KEY}"
    assert sent.headers["x-team"] == "search"
    assert (sent.json["model"], sent.json["max_tokens"]) == (GROQ_MODEL, 12)
    # Only its own key goes there.
    assert OPENAI_KEY not in json.dumps(dict(sent.headers))


def test_an_openai_compatible_provider_streams(served: Deployment) -> None:
    stream = _client(served).chat.completions.create(
        model="llama-fast",
        messages=[{"role": "user", "content": "one two three"}],
        stream=True,
        stream_options={"include_usage": True},
    )

    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: one two three"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4


def test_an_openai_compatible_provider_calls_tools_through_langchain(served: Deployment) -> None:
    model = ChatOpenAI(model="llama-fast", base_url=served.served.base_url, api_key="unused", max_retries=0)

    answer = model.bind_tools([WEATHER]).invoke("Weather in Paris?")

    (call,) = answer.tool_calls
    assert (call["name"], call["args"]) == ("get_weather", {"city": "Paris"})
    (sent,) = served.groq.requests
    assert sent.json["tools"][0]["function"]["name"] == "get_weather"
