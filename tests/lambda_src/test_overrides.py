"""Runtime overrides through the handler: who may send them, what they can do, and what is refused.

STS is the loopback fake (tests.fakes.control_plane.FakeSts), so every AssumeRole is recorded:
a refused override must not have reached STS AssumeRole, the model, or the keys. Admins prove who
they are with a presigned GetCallerIdentity (``x-llm-api-admin-identity``), which the fake
verifies against the credentials registered for each principal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.credentials import Credentials

from lambda_src import admin_identity
from lambda_src.settings import get_settings
from operator_tools.sigv4 import presign_identity
from tests.fakes.aws_http import Reply
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.fakes.control_plane import FakeSts
from tests.fakes.function_url import DEFAULT_CALLER_ARN, REGION, URL_ID
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
HOST = f"{URL_ID}.lambda-url.{REGION}.on.aws"
# Each principal's own credentials: what its presigned identity is signed with.
CREDENTIALS = {
    ADMIN_SESSION: Credentials("ASIAADMINALICE", "alice-secret", "alice-session-token"),
    ADMIN_USER: Credentials("AKIAADMINBOB", "bob-secret"),
    DEFAULT_CALLER_ARN: Credentials("AKIAAPPCALLER", "caller-secret"),
}


OWN = "<the caller's own identity>"


def identity(caller: str, *, audience: str = HOST, region: str = REGION, expires: int = 60) -> str:
    return presign_identity(CREDENTIALS[caller], region, audience, expires=expires)


@pytest.fixture(scope="module")
def _sts_server() -> Iterator[FakeSts]:
    with FakeSts() as sts:
        yield sts


@pytest.fixture
def sts(_sts_server: FakeSts, monkeypatch: pytest.MonkeyPatch) -> FakeSts:
    _sts_server.calls.clear()
    _sts_server.failing = None
    _sts_server.trust = {EXPERIMENTS_ROLE: None, OTHER_ROLE: None}
    _sts_server.identities = {c.access_key: (c.secret_key, arn) for arn, c in CREDENTIALS.items()}
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", _sts_server.url)
    admin_identity.VERIFIED.clear()
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


def _chat(
    invoke: Invoke, caller: str = ADMIN_SESSION, token: str | None = OWN, **body: Any
) -> dict[str, Any]:
    """A chat request by ``caller``, with the identity it presigned itself (``token=OWN``),
    another token, or none."""
    body.setdefault("model", "my-experiment")
    body.setdefault(
        "messages", [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hello"}]
    )
    if token == OWN:
        token = identity(caller) if caller in CREDENTIALS else None
    headers = {admin_identity.HEADER: token} if token is not None else None
    return invoke("POST", "/v1/chat/completions", body, headers, caller_arn=caller)


def _without_caller(invoke: Invoke, body: dict[str, Any]) -> dict[str, Any]:
    """As with auth NONE: the request context has no IAM authorizer."""
    return invoke("POST", "/v1/chat/completions", body, caller_arn=None)


def _denied(
    response: dict[str, Any], sts: FakeSts, sagemaker: FakeSageMakerRuntime, *, sts_asked: bool = False
) -> dict[str, Any]:
    """Refused with 403, and nothing assumed or called; STS asked only to check an identity."""
    assert response["statusCode"] == 403, response["body"]
    error = json.loads(response["body"])["error"]
    assert error["type"] == "permission_error"
    assert [c.operation for c in sts.calls] == (["GetCallerIdentity"] if sts_asked else [])
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
    response = _chat(invoke, custom_model={**CUSTOM_SPEC, "role_arn": OTHER_ROLE})
    error = _denied(response, sts, sagemaker, sts_asked=True)

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


# --- the admin identity: a context naming an admin is not enough -------------------------------

OVERRIDES = [
    pytest.param({"custom_model": CUSTOM_SPEC}, id="custom_model"),
    pytest.param(
        {"model": "tgi-llama2", "model_overrides": {"model_kwargs": {"top_k": 5}}}, id="model_overrides"
    ),
]


@pytest.mark.parametrize("override", OVERRIDES)
def test_a_forged_admin_context_without_an_identity_is_refused_before_sts(
    invoke: Invoke,
    sts: FakeSts,
    sagemaker: FakeSageMakerRuntime,
    read_logs: ReadLogs,
    override: dict[str, Any],
) -> None:
    # What anyone with an unconditioned lambda:InvokeFunction can hand-build: the admin's ARN.
    error = _denied(_chat(invoke, token=None, **override), sts, sagemaker)

    assert error["param"] == admin_identity.HEADER
    assert "scripts/invoke --admin-identity" in error["message"]
    (line,) = [line for line in read_logs() if line["message"] == "admin identity refused"]
    assert (line["caller"], line["reason"]) == (ADMIN_SESSION, "no token")


@pytest.mark.parametrize("override", OVERRIDES)
def test_an_identity_signed_by_someone_else_is_refused(
    invoke: Invoke,
    sts: FakeSts,
    sagemaker: FakeSageMakerRuntime,
    read_logs: ReadLogs,
    override: dict[str, Any],
) -> None:
    # The forger names the admin in the context but can only presign their own identity.
    error = _denied(
        _chat(invoke, token=identity(DEFAULT_CALLER_ARN), **override), sts, sagemaker, sts_asked=True
    )

    assert "not the principal that signed the request" in error["message"]
    (line,) = [line for line in read_logs() if line["message"] == "admin identity refused"]
    assert line["verified_arn"] == DEFAULT_CALLER_ARN


def test_a_tampered_identity_is_refused_by_sts(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime
) -> None:
    token = identity(ADMIN_SESSION)
    signature = token.rsplit("X-Amz-Signature=", 1)[1]
    forged = token.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])

    error = _denied(_chat(invoke, token=forged, custom_model=CUSTOM_SPEC), sts, sagemaker, sts_asked=True)

    assert "STS refused" in error["message"]


def test_an_identity_made_for_another_host_is_refused_by_sts(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime
) -> None:
    # Signed for another deployment's URL: the function sends its own host name, the signature breaks.
    token = identity(ADMIN_SESSION, audience="otherdeployment.lambda-url.us-east-1.on.aws")

    _denied(_chat(invoke, token=token, custom_model=CUSTOM_SPEC), sts, sagemaker, sts_asked=True)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(
            lambda: identity(ADMIN_SESSION, region="eu-west-1"), "region's STS endpoint", id="region"
        ),
        pytest.param(lambda: identity(ADMIN_SESSION, expires=3600), "lifetime", id="lifetime"),
        pytest.param(
            lambda: identity(ADMIN_SESSION).replace("Action=GetCallerIdentity", "Action=AssumeRole"),
            "not a GetCallerIdentity",
            id="action",
        ),
        pytest.param(lambda: identity(ADMIN_SESSION) + "&RoleArn=x", "parameters", id="extra-parameter"),
        pytest.param(
            lambda: identity(ADMIN_SESSION).replace("https://sts.", "https://evil.example/?sts."),
            "region's STS endpoint",
            id="host",
        ),
        pytest.param(
            lambda: "https://sts.us-east-1.amazonaws.com/?" + "a=b&" * 2000, "too long", id="too-long"
        ),
        pytest.param(lambda: "not a url", "region's STS endpoint", id="garbage"),
    ],
)
def test_identities_that_are_not_a_live_presigned_get_caller_identity_never_reach_sts(
    invoke: Invoke,
    sts: FakeSts,
    sagemaker: FakeSageMakerRuntime,
    read_logs: ReadLogs,
    token: Any,
    reason: str,
) -> None:
    _denied(_chat(invoke, token=token(), custom_model=CUSTOM_SPEC), sts, sagemaker)

    (line,) = [line for line in read_logs() if line["message"] == "admin identity refused"]
    assert reason in line["reason"]


def test_an_expired_identity_is_refused_before_sts(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = identity(ADMIN_SESSION, expires=5)
    later = admin_identity.time.time() + 6
    monkeypatch.setattr(admin_identity.time, "time", lambda: later)

    error = _denied(_chat(invoke, token=token, custom_model=CUSTOM_SPEC), sts, sagemaker)

    assert "expired" in error["message"]


def test_a_verified_identity_is_asked_of_sts_once_per_token(invoke: Invoke, sts: FakeSts) -> None:
    token = identity(ADMIN_SESSION)

    for _ in range(3):
        assert _chat(invoke, token=token, model="tgi-llama2", model_overrides={})["statusCode"] == 200

    assert len(sts.calls_of("GetCallerIdentity")) == 1


def test_at_debug_no_identity_token_or_prompt_is_logged(
    invoke: Invoke, sts: FakeSts, caplog: pytest.LogCaptureFixture, read_logs: ReadLogs
) -> None:
    from lambda_src.telemetry import logger

    token = identity(ADMIN_SESSION)
    signature = token.rsplit("X-Amz-Signature=", 1)[1]
    prompt = "confidential-override-prompt-8812"
    logger.setLevel("DEBUG")
    try:
        with caplog.at_level(logging.DEBUG):
            for sent in (token, identity(DEFAULT_CALLER_ARN)):  # accepted, then refused
                _chat(
                    invoke,
                    token=sent,
                    custom_model=CUSTOM_SPEC,
                    messages=[{"role": "user", "content": prompt}],
                )
    finally:
        logger.setLevel("INFO")

    captured = "\n".join(r.getMessage() for r in caplog.records) + json.dumps(read_logs())
    assert caplog.records and "admin identity refused" in captured
    for secret in ("alice-session-token", "caller-secret", signature, prompt):
        assert secret not in captured


def test_requests_without_overrides_never_call_sts(invoke: Invoke, sts: FakeSts) -> None:
    assert _chat(invoke, token=None, model="tgi-llama2")["statusCode"] == 200
    assert sts.calls == []


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        pytest.param((400, "Throttling", "Rate exceeded"), 429, id="throttled"),
        pytest.param((500, "InternalFailure", "oops"), 503, id="failing"),
        pytest.param((503, "ServiceUnavailable", "later"), 503, id="unavailable"),
    ],
)
def test_sts_trouble_during_the_identity_check_is_429_or_503_not_403(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime, failure: tuple[int, str, str], status: int
) -> None:
    sts.failing = failure

    response = _chat(invoke, custom_model=CUSTOM_SPEC)

    assert response["statusCode"] == status, response["body"]
    assert sts.calls_of("AssumeRole") == [] and sagemaker.requests == []


def test_sts_unreachable_during_the_identity_check_is_503(
    invoke: Invoke, sts: FakeSts, sagemaker: FakeSageMakerRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")

    response = _chat(invoke, custom_model=CUSTOM_SPEC)

    assert response["statusCode"] == 503, response["body"]
    assert sagemaker.requests == []


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
    assert sts.calls_of("AssumeRole") == [] and sagemaker.requests == []


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
    assert sts.calls_of("AssumeRole") == [] and sagemaker.requests == []


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
