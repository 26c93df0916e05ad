"""``POST /v1/chat/completions``: any chat model of the inventory, in OpenAI's format.

Runtime overrides (``custom_model``, ``model_overrides``) are resolved by
:mod:`lambda_src.overrides`, for admin callers in a dev stage only.

``stream: true`` streams the model's answer as it is generated: the upstream stream is opened
first (an error there is an ordinary HTTP error), then each delta goes out as a
``chat.completion.chunk`` event. An error after the first byte is sent as an error event and
ends the stream; a client that goes away closes the upstream stream.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from lambda_src import request_context
from lambda_src.adapters import chat_model
from lambda_src.adapters.base import ChatModel
from lambda_src.api_types import ChatCompletionRequest, text_of
from lambda_src.aws_clients import get_clients
from lambda_src.chat import ChatResult, ChunkEncoder, Delta, completion_body, fold, new_completion_id, sse
from lambda_src.error_handlers import log_api_error
from lambda_src.exceptions import ApiError
from lambda_src.inventory import ModelSpec
from lambda_src.overrides import chat_spec, which
from lambda_src.request_body import parse_body
from lambda_src.responses import api_error_body, json_response
from lambda_src.routes import read_body
from lambda_src.settings import Settings, get_settings
from lambda_src.telemetry import UpstreamCall, logger, record_failure, record_success, upstream_call
from lambda_src.upstream import open_deltas, run_upstream

EVENT_STREAM = "text/event-stream"
# Proxies must pass each event on as it comes.
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class EventStreamResponse(StreamingResponse):
    """Starlette's streaming response, watching for the client's disconnect with asyncio's own
    tasks instead of an anyio task group.

    uvicorn's HTTP/1.1 server speaks ASGI 2.3, where a send to a client that left is dropped
    silently, so the response must watch ``receive`` for the disconnect while it streams. With an
    anyio task group, the first stream of every process would import anyio's event-loop backend:
    about 20 ms of that cold start. When the client leaves, the event source is cancelled and
    closed, which closes the upstream stream; its own errors go up to the error middleware.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if tuple(map(int, scope.get("asgi", {}).get("spec_version", "2.0").split("."))) >= (2, 4):
            await super().__call__(scope, receive, send)  # sends fail once the client is gone
            return
        producer = asyncio.ensure_future(self.stream_response(send))
        watcher = asyncio.ensure_future(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait((producer, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (producer, watcher):
                task.cancel()
            outcome, _ = await asyncio.gather(producer, watcher, return_exceptions=True)
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                await close()  # a source left waiting at a yield is closed now, not when collected
        if isinstance(outcome, Exception):
            raise outcome
        if self.background is not None:
            await self.background()


async def chat_completions(request: Request) -> Response:
    chat_request = parse_body(await read_body(request), ChatCompletionRequest)
    spec, model, settings = await resolve(chat_request)
    if chat_request.stream:
        encoder = ChunkEvents(
            ChunkEncoder(
                model=spec.id,
                completion_id=new_completion_id(),
                include_usage=chat_request.include_usage_chunk,
            )
        )
        return await stream_answer(spec, model, chat_request, settings, encoder)
    result = await answer(spec, model, chat_request, settings)
    return json_response(completion_body(result, model=spec.id, completion_id=new_completion_id()))


async def resolve(chat_request: ChatCompletionRequest) -> tuple[ModelSpec, ChatModel, Settings]:
    """The model to call for ``chat_request``, with the caller's overrides authorized first."""
    settings = get_settings()
    context = request_context.current()
    # Overrides are authorized here, before any key, role or model is touched. On the event loop
    # without them (the inventory is cached per container; a thread hop would cost every request
    # about 0.1 ms); with them in a worker thread, as their identity check calls STS.
    if which(chat_request) is None:
        spec = chat_spec(chat_request, settings, context)
    else:
        spec = await run_upstream(lambda: chat_spec(chat_request, settings, context))
    return spec, chat_model(spec, get_clients(settings.upstream_timeout_seconds)), settings


async def answer(
    spec: ModelSpec,
    model: ChatModel,
    chat_request: ChatCompletionRequest,
    settings: Settings,
    api: str = "chat",
) -> ChatResult:
    """The model's whole answer, with its metrics and the request's log line."""
    with upstream_call(spec, "chat") as call:
        result = await run_upstream(lambda: model.chat(chat_request))
        call.usage = result.usage
    _log(spec, chat_request, result, call, settings.log_prompts, api)
    return result


class EventEncoder(Protocol):
    """Turns one answer's deltas into server-sent events (bytes, each a whole event)."""

    def start(self) -> Iterable[bytes]: ...

    def encode(self, delta: Delta) -> Iterable[bytes]: ...

    def finish(self) -> Iterable[bytes]: ...

    def error(self, err: ApiError) -> Iterable[bytes]: ...


class ChunkEvents:
    """Chat Completions' events: ``chat.completion.chunk`` objects, then ``[DONE]``."""

    def __init__(self, chunks: ChunkEncoder) -> None:
        self._chunks = chunks

    def start(self) -> Iterable[bytes]:
        return [sse(self._chunks.start())]

    def encode(self, delta: Delta) -> Iterable[bytes]:
        chunk = self._chunks.encode(delta)
        return [sse(chunk)] if chunk is not None else []

    def finish(self) -> Iterable[bytes]:
        return [*(sse(c) for c in self._chunks.finish()), sse("[DONE]")]

    def error(self, err: ApiError) -> Iterable[bytes]:
        # OpenAI's SDKs raise an APIError for an event with an "error" key; nothing follows it.
        return [sse(api_error_body(err))]


async def stream_answer(
    spec: ModelSpec,
    model: ChatModel,
    chat_request: ChatCompletionRequest,
    settings: Settings,
    encoder: EventEncoder,
    api: str = "chat",
) -> Response:
    """The model's answer as ``encoder``'s events, as it is generated."""
    call = UpstreamCall()
    start = time.perf_counter()
    try:
        stream = await open_deltas(lambda: model.stream(chat_request), settings.stream_idle_timeout_seconds)
    except ApiError as err:
        record_failure(spec, "chat_stream", err, (time.perf_counter() - start) * 1000)
        raise

    async def events() -> AsyncIterator[bytes]:
        seen: list[Delta] = []
        try:
            for event in encoder.start():
                yield event
            async for delta in stream:
                seen.append(delta)
                for event in encoder.encode(delta):
                    yield event
            # The closing events in one write: the client's answer ends as soon as they arrive.
            yield b"".join(encoder.finish())
        except ApiError as err:
            call.latency_ms = (time.perf_counter() - start) * 1000
            record_failure(spec, "chat_stream", err, call.latency_ms)
            log_api_error(err)
            for event in encoder.error(err):
                yield event
            return
        finally:
            stream.cancel()  # closes the upstream if it is still open (client gone, error before deltas)
        # After the closing events have gone out, so that the answer does not wait for its log
        # line; before the response's end, after which Lambda may freeze the environment (the
        # request scope writes the metrics then).
        call.latency_ms = (time.perf_counter() - start) * 1000
        result = fold(seen)
        call.usage = result.usage
        record_success(spec, call)
        _log(spec, chat_request, result, call, settings.log_prompts, api)

    return EventStreamResponse(events(), media_type=EVENT_STREAM, headers=STREAM_HEADERS)


def _log(
    spec: ModelSpec,
    request: ChatCompletionRequest,
    result: ChatResult,
    call: UpstreamCall,
    log_prompts: bool,
    api: str,
) -> None:
    extra: dict[str, Any] = {
        "api": api,
        "model": spec.id,
        "provider": spec.provider,
        "stream": bool(request.stream),
        "finish_reason": result.finish_reason,
        "prompt_tokens": result.usage.prompt_tokens,
        "completion_tokens": result.usage.completion_tokens,
        "latency_ms": round(call.latency_ms, 1),
    }
    override = which(request)
    if override:
        extra["override"] = override
    if log_prompts:
        extra["messages"] = [{"role": m.role, "content": text_of(m.content)} for m in request.messages]
        extra["completion"] = result.content
        extra["tool_calls"] = [{"name": c.name, "arguments": c.arguments} for c in result.tool_calls]
    logger.info("chat completion", extra=extra)
