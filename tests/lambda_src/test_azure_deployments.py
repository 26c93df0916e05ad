"""Azure OpenAI deployments from the keys secret: parsing, GET /v1/models, and partial entries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambda_src.api_keys import ApiKeys
from lambda_src.azure_deployments import AzureDeployment, AzureProblem, parse_deployments
from tests.fakes.bedrock_runtime import FakeBedrockRuntime
from tests.lambda_src.support import Invoke, Providers, PutKeys, ReadLogs, WriteInventory, misconfigured

SENTINEL = "azure-secret-value-8c1f"


def _keys(values: dict[str, str]) -> ApiKeys:
    return ApiKeys(values, "the API-keys secret 'arn:x'")


def _model(name: str, **overrides: str) -> dict[str, str]:
    values = {
        "API_TYPE": "azure",
        "API_VERSION": "2024-06-01",
        "API_BASE": f"https://{name.lower()}.openai.azure.com/",
        "API_KEY": f"{SENTINEL}-{name}",
        "API_DEPLOYMENT_NAME": f"{name}-deployment",
        **overrides,
    }
    return {f"AZURE_OPENAI_{k}__{name}": v for k, v in values.items() if v != "-"}


def test_every_listed_model_becomes_a_deployment() -> None:
    keys = _keys({"AZURE_OPENAI_MODELS": " Model1 ,Model2,,Model1", **_model("Model1"), **_model("Model2")})

    parsed = parse_deployments(keys)

    assert parsed.problems == ()
    assert [d.name for d in parsed.deployments] == ["Model1", "Model2"]
    assert parsed.deployments[0] == AzureDeployment(
        name="Model1",
        api_version="2024-06-01",
        endpoint="https://model1.openai.azure.com/",
        deployment="Model1-deployment",
        api_key=f"{SENTINEL}-Model1",
    )
    assert SENTINEL not in repr(parsed)


def test_a_partly_described_model_is_reported_with_the_keys_it_lacks() -> None:
    keys = _keys(
        {
            "AZURE_OPENAI_MODELS": "Model1,Model2,Model3",
            **_model("Model1"),
            **_model("Model2", API_KEY="-", API_VERSION="  "),
            **_model("Model3", API_DEPLOYMENT_NAME="-"),
        }
    )

    parsed = parse_deployments(keys)

    assert [d.name for d in parsed.deployments] == ["Model1"]
    assert parsed.problems == (
        AzureProblem(
            "Model2",
            "Azure OpenAI model 'Model2' is listed in AZURE_OPENAI_MODELS but lacks AZURE_OPENAI_API_KEY__Model2",
        ),
        AzureProblem(
            "Model3",
            "Azure OpenAI model 'Model3' is listed in AZURE_OPENAI_MODELS but lacks "
            "AZURE_OPENAI_API_DEPLOYMENT_NAME__Model3",
        ),
    )


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"API_TYPE": "azure_ad"}, "AZURE_OPENAI_API_TYPE__Model1 must be 'azure'"),
        (
            {"API_BASE": "model1.openai.azure.com"},
            "AZURE_OPENAI_API_BASE__Model1 must be the resource's endpoint URL",
        ),
    ],
)
def test_values_that_cannot_work_are_reported(overrides: dict[str, str], problem: str) -> None:
    parsed = parse_deployments(_keys({"AZURE_OPENAI_MODELS": "Model1", **_model("Model1", **overrides)}))

    (found,) = parsed.problems
    assert problem in found.message
    assert "azure_ad" not in found.message and "model1.openai" not in found.message


def test_no_list_no_models_and_bad_names_are_reported() -> None:
    assert parse_deployments(_keys({**_model("Model1")})).deployments == ()
    (problem,) = parse_deployments(_keys({"AZURE_OPENAI_MODELS": "has space"})).problems
    assert problem.name == "<invalid>" and "cannot be a model id" in problem.message


# --- through the handler ------------------------------------------------------------------------

INVENTORY: list[dict[str, Any]] = [
    {"id": "claude", "provider": "bedrock", "model": "anthropic.claude-3-haiku-20240307-v1:0"}
]


@pytest.fixture
def azure_keys(write_inventory: WriteInventory, keys_file: PutKeys, providers: Providers) -> dict[str, str]:
    write_inventory(INVENTORY, ["azure_openai"])
    keys = providers.keys()
    keys["AZURE_OPENAI_MODELS"] = "Model1,Broken,Model2,claude"
    keys |= {k.replace("Model1", "claude"): v for k, v in keys.items() if k.endswith("__Model1")}
    keys |= {
        k.replace("Model1", "Broken"): v
        for k, v in keys.items()
        if k.endswith("__Model1") and "API_KEY" not in k
    }
    keys_file(keys)
    return keys


def test_models_lists_complete_deployments_and_logs_the_others(
    invoke: Invoke, azure_keys: dict[str, str], read_logs: ReadLogs
) -> None:
    response = invoke("GET", "/v1/models")

    assert response["statusCode"] == 200
    assert [(m["id"], m["owned_by"]) for m in json.loads(response["body"])["data"]] == [
        ("claude", "bedrock"),
        ("Model1", "azure-openai"),
        ("Model2", "azure-openai"),
    ]
    warnings = {
        line["model"]: line["problem"]
        for line in read_logs()
        if line["message"] == "Azure OpenAI model not listed"
    }
    assert warnings == {
        "Broken": "Azure OpenAI model 'Broken' is listed in AZURE_OPENAI_MODELS but lacks AZURE_OPENAI_API_KEY__Broken",
        "claude": "an inventory model has the same id",
    }
    logged = json.dumps(read_logs())
    assert all(v not in logged for k, v in azure_keys.items() if "API_KEY" in k)


def test_a_partly_described_deployment_is_a_500_whose_log_names_the_missing_key(
    invoke: Invoke, azure_keys: dict[str, str], providers: Providers, read_logs: ReadLogs
) -> None:
    response = invoke(
        "POST", "/v1/chat/completions", {"model": "Broken", "messages": [{"role": "user", "content": "x"}]}
    )

    assert "AZURE_OPENAI_API_KEY__Broken" in misconfigured(response, read_logs)["message"]
    assert "AZURE_OPENAI_API_KEY__Broken" not in response["body"]
    assert providers.azure.requests == []


def test_an_unlisted_name_is_a_404(invoke: Invoke, azure_keys: dict[str, str]) -> None:
    response = invoke(
        "POST", "/v1/chat/completions", {"model": "Model9", "messages": [{"role": "user", "content": "x"}]}
    )

    assert response["statusCode"] == 404


def test_an_inventory_id_wins_over_a_deployment_of_the_same_name(
    invoke: Invoke, azure_keys: dict[str, str], bedrock: FakeBedrockRuntime, providers: Providers
) -> None:
    response = invoke(
        "POST", "/v1/chat/completions", {"model": "claude", "messages": [{"role": "user", "content": "x"}]}
    )

    assert response["statusCode"] == 200
    assert len(bedrock.requests) == 1 and providers.azure.requests == []


def test_a_broken_secret_leaves_azure_out_of_the_list(
    invoke: Invoke, write_inventory: WriteInventory, keys_file: PutKeys, read_logs: ReadLogs
) -> None:
    write_inventory(INVENTORY, ["azure_openai"])
    keys_file("[]")

    response = invoke("GET", "/v1/models")

    assert [m["id"] for m in json.loads(response["body"])["data"]] == ["claude"]
    (warning,) = [line for line in read_logs() if line["message"] == "Azure OpenAI models are not listed"]
    assert "does not hold a JSON object" in warning["problem"]


@pytest.mark.parametrize("version", [None, "v1", " v1 "])
def test_no_version_or_v1_means_azures_v1_api(version: str | None) -> None:
    fields = _model("Model1")
    del fields["AZURE_OPENAI_API_VERSION__Model1"]
    if version is not None:
        fields["AZURE_OPENAI_API_VERSION__Model1"] = version

    (deployment,) = parse_deployments(_keys({"AZURE_OPENAI_MODELS": "Model1", **fields})).deployments

    assert deployment.api_version is None
