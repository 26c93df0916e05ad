"""``POST /v1/responses``: the Responses API for every chat model, over the chat path.

The body is validated, translated into a chat completion request (:mod:`lambda_src.responses_api`)
and answered by the same adapters, with the same metrics, limits and logs as
``/v1/chat/completions``; the answer is a ``response`` object, or with ``stream: true`` the
Responses API's typed events. The API is stateless: nothing is stored, so nothing can be
retrieved, continued or cancelled later.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lambda_src.request_body import parse_body
from lambda_src.responses import json_response
from lambda_src.routes import read_body
from lambda_src.routes.chat import answer, resolve, stream_answer

API = "responses"


async def create_response(request: Request) -> Response:
    # Imported at the first /v1/responses request, not with the app: about 12 ms of every cold
    # start otherwise, for an API most deployments' callers do not use.
    from lambda_src.responses_api import ResponseEventEncoder, ResponseHeader, response_body, to_chat_request
    from lambda_src.responses_types import ResponseCreateRequest

    body = parse_body(await read_body(request), ResponseCreateRequest)
    chat_request = to_chat_request(body)
    spec, model, settings = await resolve(chat_request)
    header = ResponseHeader.new(body, spec.id)
    if body.stream:
        return await stream_answer(spec, model, chat_request, settings, ResponseEventEncoder(header), API)
    result = await answer(spec, model, chat_request, settings, API)
    return json_response(response_body(result, header))
