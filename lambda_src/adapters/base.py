"""What an adapter offers the routes: one chat call, and (for embedding models) one embed call."""

from __future__ import annotations

from typing import Protocol

from lambda_src.api_types import ChatCompletionRequest, EmbeddingRequest
from lambda_src.chat import ChatResult, EmbeddingResult


class ChatModel(Protocol):
    def chat(self, request: ChatCompletionRequest) -> ChatResult: ...


class EmbeddingModel(Protocol):
    def embed(self, request: EmbeddingRequest) -> EmbeddingResult: ...
