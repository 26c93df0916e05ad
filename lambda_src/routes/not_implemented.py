"""Routes that belong to the OpenAI API but are not served by this version: 501."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import LambdaFunctionUrlRouter

from lambda_src.exceptions import NotImplementedRouteError

router = LambdaFunctionUrlRouter()  # type: ignore[no-untyped-call]  # powertools leaves __init__ unannotated


def _not_implemented(route: str) -> NotImplementedRouteError:
    return NotImplementedRouteError(f"{route} is not implemented yet in this version of the API")


@router.post("/v1/completions")
def completions() -> None:
    raise _not_implemented("POST /v1/completions")
