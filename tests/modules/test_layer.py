"""The third-party provider layer: only enabled providers, stripped, sized, wired to the function."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lambda_src.inventory import Inventory
from modules import layer as layer_mod
from modules.packaging import Package, PackagingError
from tests.support import Synth


def test_requirements_follow_the_enabled_providers() -> None:
    assert layer_mod.requirements_for(["openai", "azure_openai", "openai_compatible"]) == [
        "langchain-core",
        "langchain-openai",
    ]
    assert layer_mod.requirements_for(["anthropic", "mistral"]) == [
        "langchain-anthropic",
        "langchain-core",
        "langchain-mistralai",
    ]
    with pytest.raises(PackagingError, match="no layer packages for provider"):
        layer_mod.requirements_for(["watsonx"])


def test_every_layer_package_is_pinned() -> None:
    pins = {
        line.split("==")[0].lower().replace("_", "-")
        for line in layer_mod.CONSTRAINTS.read_text().splitlines()
        if "==" in line
    }
    for packages in layer_mod.PROVIDER_PACKAGES.values():
        assert set(packages) <= pins


def test_size_check_names_the_largest_packages(tmp_path: Path) -> None:
    function = Package(
        path=tmp_path / "f.zip", source_code_hash="x", zipped_bytes=4_000_000, unzipped_bytes=12_000_000
    )
    big = layer_mod.Layer(
        path=tmp_path / "l.zip",
        source_code_hash="y",
        zipped_bytes=60 * 2**20,
        unzipped_bytes=250 * 2**20,
        providers=("anthropic", "openai"),
        largest=(("anthropic", 90_000_000), ("openai", 60_000_000), ("zstandard", 22_000_000)),
    )
    with pytest.raises(PackagingError) as info:
        layer_mod.check_size(function, big)
    message = str(info.value)
    assert "unzipped is 274.1 MB; Lambda allows 250 MiB" in message
    assert "the layer zip is 62.9 MB" in message
    assert "Largest packages in the layer: anthropic 90.0 MB, openai 60.0 MB, zstandard 22.0 MB" in message
    small = layer_mod.Layer(tmp_path / "l.zip", "y", 20_000_000, 90_000_000, ("openai",), ())
    layer_mod.check_size(function, small)  # within limits: no error


def test_variant_layer_holds_only_the_enabled_providers(variant_synth: Synth) -> None:
    resource = variant_synth.resources("aws_lambda_layer_version")["providers"]
    assert resource["compatible_runtimes"] == ["python3.13"]
    assert resource["compatible_architectures"] == ["x86_64"]
    assert resource["layer_name"] == "variant-api-providers"
    fn = variant_synth.resources("aws_lambda_function")["this"]
    # the Lambda Web Adapter first, then the provider layer
    assert fn["layers"] == [
        "arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerX86:30",
        "${aws_lambda_layer_version.providers.arn}",
    ]
    with zipfile.ZipFile(variant_synth.stack_dir / resource["filename"]) as zf:
        names = zf.namelist()
    tops = {n.split("/")[1] for n in names}
    assert all(n.startswith("python/") for n in names)
    assert {"langchain_openai", "langchain_core", "openai"} <= tops
    assert not tops & {
        "anthropic",
        "cohere",
        "langchain_anthropic",
        "langchain_cohere",
        "langchain_mistralai",
        "tokenizers",
    }
    # stripped: no caches, tests or stub packages, and nothing the function package already has
    assert not any("/__pycache__/" in n or "/tests/" in n or n.endswith(".pyc") for n in names)
    assert not tops & {"pydantic", "pydantic_core", "typing_extensions.py"}
    assert not any(t.startswith("types_") for t in tops)


def test_default_deployment_has_no_layer(default_synth: Synth) -> None:
    assert default_synth.resources("aws_lambda_layer_version") == {}
    # only the Lambda Web Adapter
    assert len(default_synth.resources("aws_lambda_function")["this"]["layers"]) == 1


def test_third_party_models_and_dev_settings(variant_synth: Synth) -> None:
    inventory = Inventory.from_json(variant_synth.inventory_json())
    assert inventory.third_party_providers == ("openai", "azure_openai", "openai_compatible")
    big = inventory.get("gpt-big")
    assert big is not None and (big.provider, big.model, big.limits.max_tokens) == ("openai", "gpt-4.1", 4096)
    deepseek = inventory.get("deepseek")
    assert deepseek is not None and (deepseek.provider, deepseek.model) == (
        "openai_compatible",
        "deepseek-chat",
    )
    assert deepseek.connection is not None
    assert deepseek.connection.model_dump() == {
        "name": "deepseek",
        "base_url": "https://api.deepseek.com/v1",
        "api_key_name": "DEEPSEEK_API_KEY",
        "headers": {"X-Team": "search"},
    }
    env = variant_synth.resources("aws_lambda_function")["this"]["environment"]["variables"]
    # Only scripts/serve lets openai_compatible base URLs be plain http on loopback.
    assert "ALLOW_LOOPBACK_UPSTREAMS" not in env
    assert (
        env["ADMIN_PRINCIPALS"] == "arn:aws:iam::111122223333:role/Admin,arn:aws:iam::111122223333:user/alice"
    )
    assert env["OVERRIDE_ROLE_ARNS"] == "arn:aws:iam::444455556666:role/experiments"
    statements = {s["Sid"]: s for s in variant_synth.iam_statements()}
    assert statements["AssumeOverrideRoles"]["Resource"] == ["arn:aws:iam::444455556666:role/experiments"]


def test_prod_has_no_override_settings(default_synth: Synth) -> None:
    env = default_synth.resources("aws_lambda_function")["this"]["environment"]["variables"]
    assert "ADMIN_PRINCIPALS" not in env and "OVERRIDE_ROLE_ARNS" not in env
    assert "AssumeOverrideRoles" not in {s["Sid"] for s in default_synth.iam_statements()}
