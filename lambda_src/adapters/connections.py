"""Where and with which key a third-party model is reached: shared by the adapter that decides
it (:mod:`lambda_src.adapters.third_party`) and the one that calls LangChain with it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Connection:
    """Everything needed to reach one model; hashable, so clients can be reused per connection."""

    provider: str
    model: str
    base_url: str
    api_key: str = field(repr=False)
    # Azure OpenAI only (no api_version: Azure's v1 API).
    api_version: str | None = None
    deployment: str | None = None
    # openai_compatible only: the provider entry's extra headers, as (name, value) pairs.
    headers: tuple[tuple[str, str], ...] = ()
    # Every value of the keys secret: removed from any upstream message echoed to a caller (a
    # provider may quote another provider's key a caller pasted). Not part of the identity.
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)
