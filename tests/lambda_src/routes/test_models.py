from __future__ import annotations

from lambda_src.inventory import Inventory, ModelSpec
from lambda_src.routes.models import to_model_list


def test_model_list_follows_inventory_order_and_owner_rules() -> None:
    inventory = Inventory(
        models=(
            ModelSpec(id="z-last-alphabetically", provider="openai", model="gpt-4o"),
            ModelSpec(id="a-first", provider="azure_openai", model="gpt-4o"),
            ModelSpec(
                id="custom",
                provider="bedrock",
                model="arn:aws:bedrock:us-east-1:123456789012:imported-model/abc",
                base_model_provider="qwen",
            ),
        )
    )

    listed = to_model_list(inventory)

    assert listed["object"] == "list"
    assert [(m["id"], m["owned_by"]) for m in listed["data"]] == [
        ("z-last-alphabetically", "openai"),
        ("a-first", "azure-openai"),
        ("custom", "qwen"),
    ]
    assert {m["object"] for m in listed["data"]} == {"model"}
    assert all(type(m["created"]) is int for m in listed["data"])


def test_model_list_is_stable_between_calls() -> None:
    inventory = Inventory(models=(ModelSpec(id="m", provider="openai", model="gpt-4o"),))

    assert to_model_list(inventory) == to_model_list(Inventory.from_json(inventory.to_json()))


def test_model_list_does_not_expose_provider_details() -> None:
    spec = ModelSpec(
        id="private",
        provider="sagemaker",
        model="internal-endpoint-name",
        role_arn="arn:aws:iam::210987654321:role/cross-account-invoke",
        external_id="ext-id-123",
    )

    (entry,) = to_model_list(Inventory(models=(spec,)))["data"]

    assert set(entry) == {"id", "object", "created", "owned_by"}
    assert "internal-endpoint-name" not in str(entry)
    assert "210987654321" not in str(entry)
