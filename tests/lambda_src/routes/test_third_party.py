"""Third-party models through the real handler, LangChain and each provider's SDK, against local
fakes of the providers' HTTP APIs. Keys and base URLs come from a keys file (the secret's
parsing without Secrets Manager); the tests about the secret itself use moto's."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import pytest

from tests.fakes.http_json import Answer
from tests.lambda_src.support import (
    ANTHROPIC_KEY,
    AZURE_DEPLOYMENT_KEYS,
    AZURE_V1_KEY,
    COHERE_KEY,
    COMPAT_KEY,
    MISTRAL_KEY,
    OPENAI_KEY,
    THIRD_PARTY_MODELS,
    Invoke,
    Providers,
    PutKeys,
    ReadLogs,
    WriteInventory,
    misconfigured,
)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ALL_KEYS = (
    OPENAI_KEY,
    COMPAT_KEY,
    AZURE_V1_KEY,
    MISTRAL_KEY,
    ANTHROPIC_KEY,
    COHERE_KEY,
    *AZURE_DEPLOYMENT_KEYS.values(),
)


pytestmark = pytest.mark.usefixtures("third_party_deployment")


@pytest.fixture
def secret(keys_secret: PutKeys, providers: Providers, monkeypatch: pytest.MonkeyPatch) -> PutKeys:
    """The keys in moto's Secrets Manager instead of the file."""
    from lambda_src.settings import get_settings

    monkeypatch.delenv("KEYS_FILE")
    get_settings.cache_clear()
    keys_secret(providers.keys())
    return keys_secret


def _chat(invoke: Invoke, model: str, **body: Any) -> dict[str, Any]:
    body.setdefault("messages", [{"role": "user", "content": "hello there"}])
    return invoke("POST", "/v1/chat/completions", {"model": model, **body})


def _ok(response: dict[str, Any]) -> dict[str, Any]:
    assert response["statusCode"] == 200, response["body"]
    return json.loads(response["body"])


def _error(response: dict[str, Any], status: int) -> dict[str, Any]:
    assert response["statusCode"] == status, response["body"]
    assert "Traceback" not in response["body"]
    for key in ALL_KEYS:
        assert key not in response["body"]
    return json.loads(response["body"])["error"]


@pytest.mark.parametrize(
    ("model", "fake", "path", "auth"),
    [
        ("gpt-4o", "openai", "/v1/chat/completions", ("authorization", f"Bearer {OPENAI_KEY}")),
        ("llama-fast", "compat", "/openai/v1/chat/completions", ("authorization", f"Bearer {COMPAT_KEY}")),
        ("mistral-large", "mistral", "/v1/chat/completions", ("authorization", f"Bearer {MISTRAL_KEY}")),
        ("claude-direct", "anthropic", "/v1/messages", ("authorization", f"Bearer {ANTHROPIC_KEY}")),
        ("command-r", "cohere", "/v2/chat", ("authorization", f"Bearer {COHERE_KEY}")),
        (
            "Model1",
            "azure",
            "/openai/deployments/gpt4o-deployment/chat/completions",
            ("api-key", "azure-key-one-1111"),
        ),
        (
            "Model2",
            "azure",
            "/openai/deployments/mini-deployment/chat/completions",
            ("api-key", "azure-key-two-2222"),
        ),
        ("Model3", "azure_v1", "/openai/v1/chat/completions", ("authorization", f"Bearer {AZURE_V1_KEY}")),
    ],
)
def test_each_provider_answers_through_its_api_with_the_key_from_the_secret(
    invoke: Invoke,
    providers: Providers,
    secret: PutKeys,
    model: str,
    fake: str,
    path: str,
    auth: tuple[str, str],
) -> None:
    body = _ok(_chat(invoke, model))

    assert body["model"] == model
    assert body["choices"][0]["message"] == {
        "role": "assistant",
        "content": "echo: hello there",
        "refusal": None,
    }
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    (sent,) = getattr(providers, fake).requests
    assert sent.path == path
    assert sent.headers[auth[0]] == auth[1]


def test_generation_settings_reach_openai(invoke: Invoke, providers: Providers) -> None:
    messages = [{"role": "developer", "content": "Be terse."}, {"role": "user", "content": "hi"}]

    _ok(_chat(invoke, "gpt-4o", messages=messages, max_tokens=20, temperature=0.2, top_p=0.5, stop="END"))

    sent = providers.openai.requests[0].json
    assert sent["model"] == "gpt-4o"
    assert sent["messages"] == [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}]
    assert (sent["max_completion_tokens"], sent["temperature"], sent["top_p"], sent["stop"]) == (
        20,
        0.2,
        0.5,
        ["END"],
    )


def test_openai_compatible_gets_max_tokens_its_headers_and_the_model_name(
    invoke: Invoke, providers: Providers
) -> None:
    _ok(_chat(invoke, "llama-fast", max_tokens=33))

    (sent,) = providers.compat.requests
    assert sent.json["max_tokens"] == 33 and "max_completion_tokens" not in sent.json
    assert sent.json["model"] == "llama-3.3-70b-versatile"
    assert sent.headers["x-team"] == "search"


def test_openai_compatible_refuses_plain_http_unless_the_server_allows_it(
    invoke: Invoke, providers: Providers, monkeypatch: pytest.MonkeyPatch, read_logs: ReadLogs
) -> None:
    from lambda_src.settings import get_settings

    monkeypatch.delenv("ALLOW_LOOPBACK_UPSTREAMS")
    get_settings.cache_clear()

    error = _error(_chat(invoke, "llama-fast"), 500)

    assert error["code"] == "configuration_error"
    # The cause is for the operators: in the log, not in the answer.
    reason = "plain http is accepted only for a loopback host under scripts/serve"
    assert any(reason in line.get("message", "") for line in read_logs())
    assert providers.compat.requests == []


def test_azure_sends_the_deployments_api_version(invoke: Invoke, providers: Providers) -> None:
    _ok(_chat(invoke, "Model1"))
    _ok(_chat(invoke, "Model2"))
    _ok(_chat(invoke, "Model3"))

    assert [r.query["api-version"] for r in providers.azure.requests] == ["2024-06-01", "2024-10-21"]
    # The v1 API takes no api-version: the deployment is the model.
    (v1,) = providers.azure_v1.requests
    assert "api-version" not in v1.query and v1.json["model"] == "v1-deployment"


def test_anthropic_gets_one_system_prompt_and_the_models_limit(invoke: Invoke, providers: Providers) -> None:
    messages = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "hi"},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "again"},
    ]

    _ok(_chat(invoke, "claude-direct", messages=messages))

    sent = providers.anthropic.requests[0].json
    assert sent["system"] == "Be kind.\n\nBe brief."
    # langchain-anthropic joins the consecutive user turns left once the system prompts are out.
    assert sent["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "again"}]}
    ]
    assert sent["max_tokens"] == 1000  # limits.max_tokens caps the default


def test_cohere_gets_its_parameter_names(invoke: Invoke, providers: Providers) -> None:
    _ok(_chat(invoke, "command-r", max_tokens=7, top_p=0.3, stop=["x"]))

    sent = providers.cohere.requests[0].json
    assert (sent["model"], sent["max_tokens"], sent["p"], sent["stop_sequences"]) == (
        "command-r-plus",
        7,
        0.3,
        ["x"],
    )


@pytest.mark.parametrize(
    ("model", "fake"),
    [
        ("gpt-4o", "openai"),
        ("claude-direct", "anthropic"),
        ("command-r", "cohere"),
        ("mistral-large", "mistral"),
        ("llama-fast", "compat"),
    ],
)
def test_tool_round_trip(invoke: Invoke, providers: Providers, model: str, fake: str) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Paris?"}]

    first = _ok(_chat(invoke, model, messages=messages, tools=[WEATHER]))

    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    messages += [
        {"role": "assistant", "content": choice["message"]["content"], "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "18C"},
    ]
    second = _ok(_chat(invoke, model, messages=messages, tools=[WEATHER]))
    assert second["choices"][0]["message"]["content"] == "tool said: 18C"
    assert len(getattr(providers, fake).requests) == 2


@pytest.mark.parametrize(
    ("model", "choice", "fake", "sent"),
    [
        ("gpt-4o", "required", "openai", "required"),
        ("claude-direct", "required", "anthropic", {"type": "any"}),
        ("command-r", "required", "cohere", "REQUIRED"),
        ("mistral-large", "required", "mistral", "any"),
        (
            "gpt-4o",
            {"type": "function", "function": {"name": "get_weather"}},
            "openai",
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_tool_choice_in_each_providers_terms(
    invoke: Invoke, providers: Providers, model: str, choice: Any, fake: str, sent: Any
) -> None:
    _ok(_chat(invoke, model, tools=[WEATHER], tool_choice=choice))

    assert getattr(providers, fake).requests[0].json["tool_choice"] == sent


@pytest.mark.parametrize("model", ["gpt-4o", "llama-fast"])
def test_streaming_a_third_party_answer(invoke: Invoke, model: str) -> None:
    response = _chat(invoke, model, stream=True)

    assert response["headers"]["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response["body"].endswith("data: [DONE]\n\n")
    chunks = [json.loads(line[6:]) for line in response["body"].splitlines() if line.startswith("data: {")]
    pieces = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    # The provider's own stream, passed on piece by piece.
    assert "".join(p or "" for p in pieces) == "echo: hello there"
    assert len([p for p in pieces if p]) > 1
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


# --- keys -----------------------------------------------------------------------------------------


def test_a_missing_provider_key_is_named_in_the_log(
    invoke: Invoke, secret: PutKeys, providers: Providers, read_logs: ReadLogs
) -> None:
    keys = providers.keys()
    del keys["COHERE_API_KEY"]
    arn = secret(keys)

    logged = misconfigured(_chat(invoke, "command-r"), read_logs)

    assert "COHERE_API_KEY" in logged["message"] and arn in logged["message"]
    assert providers.cohere.requests == []
    assert _ok(_chat(invoke, "gpt-4o"))  # the other providers keep working


def test_no_keys_secret_at_all_is_named_in_the_log(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, read_logs: ReadLogs
) -> None:
    from lambda_src.settings import get_settings

    monkeypatch.delenv("KEYS_FILE")
    get_settings.cache_clear()

    logged = misconfigured(_chat(invoke, "gpt-4o"), read_logs)

    assert "OPENAI_API_KEY" in logged["message"] and "KEYS_SECRET_ARN" in logged["message"]


def test_a_rotated_key_is_used_once_the_cache_expires(
    invoke: Invoke, secret: PutKeys, providers: Providers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_src.settings import get_settings

    monkeypatch.setenv("INVENTORY_MAX_AGE_SECONDS", "0")
    get_settings.cache_clear()
    _ok(_chat(invoke, "gpt-4o"))
    providers.openai.api_key = "sk-rotated"
    secret({**providers.keys(), "OPENAI_API_KEY": "sk-rotated"})

    _ok(_chat(invoke, "gpt-4o"))

    assert [r.headers["authorization"] for r in providers.openai.requests] == [
        f"Bearer {OPENAI_KEY}",
        "Bearer sk-rotated",
    ]
    providers.openai.api_key = OPENAI_KEY


# --- upstream errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fake", "answer", "status", "code"),
    [
        (
            "gpt-4o",
            "openai",
            Answer(429, {"error": {"message": "Rate limit reached", "type": "requests"}}),
            429,
            "rate_limit_exceeded",
        ),
        (
            "gpt-4o",
            "openai",
            Answer(404, {"error": {"message": "The model does not exist", "type": "x"}}),
            404,
            "model_not_found",
        ),
        (
            "gpt-4o",
            "openai",
            Answer(403, {"error": {"message": "Project lacks access", "type": "x"}}),
            403,
            "access_denied",
        ),
        (
            "gpt-4o",
            "openai",
            Answer(500, {"error": {"message": "boom", "type": "server_error"}}),
            502,
            "upstream_error",
        ),
        (
            "gpt-4o",
            "openai",
            Answer(503, {"error": {"message": "overloaded", "type": "x"}}),
            503,
            "service_unavailable",
        ),
        (
            "claude-direct",
            "anthropic",
            Answer(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            503,
            "service_unavailable",
        ),
        ("command-r", "cohere", Answer(429, {"message": "too many"}), 429, "rate_limit_exceeded"),
        (
            "mistral-large",
            "mistral",
            Answer(429, {"message": "Requests rate limit exceeded"}),
            429,
            "rate_limit_exceeded",
        ),
        ("gpt-4o", "openai", Answer(200, b"not json at all"), 502, "upstream_error"),
    ],
)
def test_provider_errors_become_openai_errors(
    invoke: Invoke,
    providers: Providers,
    read_logs: ReadLogs,
    model: str,
    fake: str,
    answer: Answer,
    status: int,
    code: str,
) -> None:
    getattr(providers, fake).always(answer)

    error = _error(_chat(invoke, model), status)

    assert error["code"] == code
    (warning,) = [line for line in read_logs() if line["message"] == "upstream call failed"]
    assert (warning["model"], warning["status"]) == (model, status)


def test_a_rejected_request_echoes_the_providers_message_without_secrets(
    invoke: Invoke, providers: Providers
) -> None:
    message = f"Invalid 'messages': bad content (key {OPENAI_KEY} in arn:aws:iam::123456789012:role/x)"
    providers.openai.always(Answer(400, {"error": {"message": message, "type": "invalid_request_error"}}))

    error = _error(_chat(invoke, "gpt-4o"), 400)

    assert "Invalid 'messages': bad content" in error["message"]
    assert "<redacted>" in error["message"] and "<arn>" in error["message"]


def test_a_wrong_key_is_a_configuration_error_without_the_key(
    invoke: Invoke, keys_file: PutKeys, providers: Providers, read_logs: ReadLogs
) -> None:
    keys_file({**providers.keys(), "ANTHROPIC_API_KEY": "sk-ant-wrong-value-77"})

    error = _error(_chat(invoke, "claude-direct"), 500)

    assert error["code"] == "configuration_error"
    assert "sk-ant-wrong-value-77" not in json.dumps(read_logs())
    assert providers.anthropic.requests[0].headers["authorization"] == "Bearer sk-ant-wrong-value-77"


def test_a_provider_that_is_not_enabled_is_a_501(invoke: Invoke, write_inventory: WriteInventory) -> None:
    write_inventory(THIRD_PARTY_MODELS, ["anthropic"])

    response = _chat(invoke, "gpt-4o")

    error = _error(response, 501)
    assert error["code"] == "provider_not_supported"
    assert "third_party.openai" in error["message"]


def test_an_ai21_model_left_in_an_inventory_is_refused_with_the_shutdown(
    invoke: Invoke, write_inventory: WriteInventory
) -> None:
    write_inventory([{"id": "jamba", "provider": "ai21", "model": "jamba-large"}], ["ai21"])

    error = _error(_chat(invoke, "jamba"), 501)

    assert "AI21 shut down its Jamba API on 2026-08-09" in error["message"]
    assert "third_party.openai_compatible" in error["message"]


def test_without_the_provider_layer_the_model_is_a_501(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in a function without the layer: the LangChain packages cannot be imported.
    import lambda_src.adapters

    monkeypatch.delitem(sys.modules, "lambda_src.adapters.langchain_chat", raising=False)
    monkeypatch.delattr(lambda_src.adapters, "langchain_chat", raising=False)
    for name in [m for m in sys.modules if m.startswith("langchain")] or ["langchain_core"]:
        monkeypatch.setitem(sys.modules, name, None)

    error = _error(_chat(invoke, "gpt-4o"), 501)

    assert "provider layer" in error["message"]


def test_keys_never_reach_the_logs(invoke: Invoke, providers: Providers, read_logs: ReadLogs) -> None:
    for model in ("gpt-4o", "Model1", "claude-direct", "command-r"):
        _ok(_chat(invoke, model))
    providers.openai.always(Answer(401, {"error": {"message": f"Incorrect API key provided: {OPENAI_KEY}"}}))
    _error(_chat(invoke, "gpt-4o"), 500)

    logged = json.dumps(read_logs())
    for key in ALL_KEYS:
        assert key not in logged


def test_debug_logging_shows_no_key_and_no_prompt(
    invoke: Invoke, secret: PutKeys, caplog: pytest.LogCaptureFixture, read_logs: ReadLogs
) -> None:
    """The root logger and the app at DEBUG (as a misconfigured log level would have them): the
    keys secret is read (botocore logs GetSecretValue bodies at DEBUG) and every provider is
    called (their SDKs log requests at DEBUG); no key and no prompt appears in any line."""
    from lambda_src.telemetry import logger

    prompt = "my-confidential-prompt-4417"
    logger.setLevel("DEBUG")
    try:
        with caplog.at_level(logging.DEBUG):
            for model in ("gpt-4o", "Model1", "claude-direct", "command-r", "mistral-large"):
                _ok(_chat(invoke, model, messages=[{"role": "user", "content": prompt}]))
    finally:
        logger.setLevel("INFO")
    captured = "\n".join(r.getMessage() for r in caplog.records) + json.dumps(read_logs())
    assert caplog.records  # DEBUG was really on: something was logged
    for key in ALL_KEYS:
        assert key not in captured
    assert prompt not in captured


def test_a_malformed_keys_secret_breaks_only_the_providers_that_need_it(
    invoke: Invoke, keys_file: PutKeys, read_logs: ReadLogs
) -> None:
    keys_file("{not json")  # with azure_openai enabled, every lookup used to read it

    error = _error(_chat(invoke, "no-such-model"), 404)  # an unknown model is still a 404

    assert error["code"] == "model_not_found"
    assert any(line["message"] == "Azure OpenAI models cannot be looked up" for line in read_logs())
    assert _error(_chat(invoke, "gpt-4o"), 500)["code"] == "configuration_error"  # OpenAI needs its key
