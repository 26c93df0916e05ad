"""The OpenAI SDK against ``scripts/serve``: a third-party model through its fake, an admin driving a
custom model spec end to end (with their presigned identity), and the same spec refused for a
non-admin and for an admin's context without the identity."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from operator_tools.sigv4 import SigV4Auth
from tests.e2e.conftest import ADMIN_CREDENTIALS, EXPERIMENTS_ROLE, OPENAI_KEY, Served
from tests.fakes.aws_http import Reply

# A SageMaker endpoint outside the inventory, with a wire format of its own, behind a role.
CUSTOM_SPEC: dict[str, Any] = {
    "provider": "sagemaker",
    "model": "lab-endpoint",
    "role_arn": EXPERIMENTS_ROLE,
    "api": "content-handler",
    "prompt_template": "### System\n{system}\n### Question\n{prompt}\n### Answer\n",
    "content_handler": {
        "input_prompt_path": "request.text",
        "input_kwargs_path": "request.options",
        "output_path": "$.result.outputs[0]",
        "parameter_names": {"max_tokens": "max_len"},
    },
    "model_kwargs": {"beam_width": 2},
}


def _client(server: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=30)


def _admin_client(server: Served) -> openai.OpenAI:
    """As an admin calls: each request carries their presigned identity."""
    auth = SigV4Auth(region="us-east-1", credentials=ADMIN_CREDENTIALS, admin_identity=True)
    return openai.OpenAI(
        base_url=server.base_url,
        api_key="unused",
        max_retries=0,
        timeout=30,
        http_client=httpx.Client(auth=auth),
    )


def test_a_third_party_model_answers_through_its_fake(server: Served) -> None:
    client = _client(server)

    completion = client.chat.completions.create(
        model="gpt-mini", messages=[{"role": "user", "content": "bonjour"}], max_tokens=12
    )

    assert completion.choices[0].message.content == "echo: bonjour"
    assert "gpt-mini" in [m.id for m in client.models.list()]
    (sent,) = server.openai.requests
    assert sent.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert (sent.json["model"], sent.json["max_completion_tokens"]) == ("gpt-4o-mini", 12)


def test_an_admin_drives_a_custom_spec_end_to_end(server: Served) -> None:
    server.sagemaker.script("lab-endpoint", Reply(200, {"result": {"outputs": ["forty-two"]}}))

    completion = _admin_client(server).chat.completions.create(
        model="lab-experiment",
        messages=[{"role": "system", "content": "Be exact."}, {"role": "user", "content": "The answer?"}],
        max_tokens=16,
        extra_body={"custom_model": CUSTOM_SPEC},
    )

    assert completion.model == "lab-experiment"
    assert completion.choices[0].message.content == "forty-two"
    (sent,) = server.sagemaker.requests
    assert sent.target == "lab-endpoint"
    assert sent.json == {
        "request": {
            "text": "### System\nBe exact.\n### Question\nThe answer?\n### Answer\n",
            "options": {"beam_width": 2, "max_len": 16},
        }
    }
    (assumed,) = server.sts.calls_of("AssumeRole")
    assert assumed.params["RoleArn"] == EXPERIMENTS_ROLE
    assert sent.access_key_id is not None and server.sts.issued[sent.access_key_id] == EXPERIMENTS_ROLE


def test_an_admin_overrides_an_inventory_models_kwargs(server: Served) -> None:
    _admin_client(server).chat.completions.create(
        model="tgi",
        messages=[{"role": "user", "content": "hi"}],
        extra_body={
            "model_overrides": {"model_kwargs": {"top_k": 3}, "endpoint_kwargs": {"target_variant": "b"}}
        },
    )

    (sent,) = server.sagemaker.requests
    assert sent.json["top_k"] == 3
    assert sent.headers["x-amzn-sagemaker-target-variant"] == "b"


def _refused_spec(client: openai.OpenAI) -> openai.PermissionDeniedError:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.chat.completions.create(
            model="lab-experiment",
            messages=[{"role": "user", "content": "The answer?"}],
            extra_body={"custom_model": CUSTOM_SPEC},
        )
    return caught.value


def test_an_admin_context_without_a_presigned_identity_is_refused(server: Served) -> None:
    # scripts/serve names the admin in every request context, as a forged event would.
    assert _refused_spec(_client(server)).code == "access_denied"
    assert server.sagemaker.requests == []
    assert server.sts.calls == []


def test_a_non_admin_sending_the_same_spec_is_refused(non_admin_server: Served) -> None:
    refused = _refused_spec(_client(non_admin_server))

    assert (refused.status_code, refused.code) == (403, "access_denied")
    assert non_admin_server.sagemaker.requests == []
    assert non_admin_server.sts.calls == []


def test_a_non_admin_still_uses_inventory_models(non_admin_server: Served) -> None:
    completion = _client(non_admin_server).chat.completions.create(
        model="gpt-mini", messages=[{"role": "user", "content": "hi"}]
    )

    assert completion.choices[0].message.content == "echo: hi"
