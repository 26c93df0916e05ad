"""Pinned Bedrock facts the synth and the operator tools need: lifecycle and Marketplace product ids.

Checked 2026-11-29 against the Bedrock user guide ("Model lifecycle" and its page for models
launched before 2026-09-07, "Access Amazon Bedrock foundation models", the Marketplace product-id
table) and the model cards. The live answer always wins: ``scripts/preflight`` reads each model's
lifecycle (``GetFoundationModel``) and access (``GetFoundationModelAvailability``) from AWS.
Refresh this table when you change a default model.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

CHECKED = date(2026, 11, 29)

# Serverless models of these providers are sold by AWS itself: no Marketplace subscription.
NO_SUBSCRIPTION_PROVIDERS = frozenset({"amazon", "meta", "mistral", "deepseek", "qwen", "openai"})

# Base model id -> AWS Marketplace product id of the models whose first use subscribes the
# account (the condition value for aws-marketplace:ProductId).
MARKETPLACE_PRODUCT_IDS: dict[str, str] = {
    "anthropic.claude-haiku-4-5-20251001-v1:0": "prod-xdkflymybwmvi",
    "anthropic.claude-sonnet-4-5-20250929-v1:0": "prod-mxcfnwvpd6kb4",
    "anthropic.claude-opus-4-1-20250805-v1:0": "prod-w3q2d6rfge4tw",
    "anthropic.claude-opus-4-5-20251101-v1:0": "prod-jhuafngbly644",
    "anthropic.claude-sonnet-4-6": "prod-ffvjxvh4ltq64",
    "anthropic.claude-opus-4-7": "prod-d2ik6zgct5hxi",
    "anthropic.claude-opus-4-8": "prod-bk5rjg4eo2pke",
    "cohere.embed-v4:0": "prod-ft3cj5gst3spo",
}

Lifecycle = Literal["LEGACY", "END_OF_LIFE"]

# Models past ACTIVE, with their end-of-life date (for LEGACY: when calls start failing).
LIFECYCLE: dict[str, tuple[Lifecycle, date]] = {
    "anthropic.claude-3-haiku-20240307-v1:0": ("END_OF_LIFE", date(2026, 9, 10)),
    "anthropic.claude-3-5-haiku-20241022-v1:0": ("END_OF_LIFE", date(2026, 6, 19)),
    "anthropic.claude-3-5-sonnet-20240620-v1:0": ("END_OF_LIFE", date(2026, 7, 30)),
    "anthropic.claude-3-5-sonnet-20241022-v2:0": ("END_OF_LIFE", date(2026, 7, 30)),
    "anthropic.claude-3-7-sonnet-20250219-v1:0": ("END_OF_LIFE", date(2026, 4, 28)),
    "anthropic.claude-opus-4-20250514-v1:0": ("END_OF_LIFE", date(2026, 5, 31)),
    "anthropic.claude-sonnet-4-20250514-v1:0": ("END_OF_LIFE", date(2026, 10, 14)),
    "anthropic.claude-opus-4-1-20250805-v1:0": ("LEGACY", date(2027, 1, 8)),
    "anthropic.claude-sonnet-4-5-20250929-v1:0": ("LEGACY", date(2027, 4, 8)),
    "cohere.command-r-v1:0": ("END_OF_LIFE", date(2026, 8, 19)),
    "cohere.command-r-plus-v1:0": ("END_OF_LIFE", date(2026, 8, 19)),
    "meta.llama3-1-405b-instruct-v1:0": ("END_OF_LIFE", date(2026, 7, 7)),
    "meta.llama3-2-1b-instruct-v1:0": ("END_OF_LIFE", date(2026, 7, 7)),
    "meta.llama3-2-3b-instruct-v1:0": ("END_OF_LIFE", date(2026, 7, 7)),
    "meta.llama3-2-11b-instruct-v1:0": ("END_OF_LIFE", date(2026, 7, 7)),
    "meta.llama3-2-90b-instruct-v1:0": ("END_OF_LIFE", date(2026, 7, 7)),
    "meta.llama3-3-70b-instruct-v1:0": ("LEGACY", date(2027, 3, 30)),
    "ai21.jamba-1-5-large-v1:0": ("END_OF_LIFE", date(2026, 11, 26)),
    "ai21.jamba-1-5-mini-v1:0": ("END_OF_LIFE", date(2026, 11, 26)),
    "amazon.nova-premier-v1:0": ("END_OF_LIFE", date(2026, 9, 14)),
}


def needs_subscription(provider: str | None) -> bool:
    """Whether a serverless model of ``provider`` is sold through AWS Marketplace."""
    return provider is not None and provider not in NO_SUBSCRIPTION_PROVIDERS


def lifecycle_note(base_model_id: str) -> str | None:
    """A sentence for a model past ACTIVE in the pinned table, else None."""
    entry = LIFECYCLE.get(base_model_id)
    if entry is None:
        return None
    state, end = entry
    if state == "END_OF_LIFE":
        return f"{base_model_id} reached end of life on {end.isoformat()}: Bedrock refuses calls to it"
    return f"{base_model_id} is LEGACY on Bedrock: calls fail from {end.isoformat()}"
