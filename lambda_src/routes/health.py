"""Liveness: answers without touching configuration, SSM or any model."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import LambdaFunctionUrlRouter

router = LambdaFunctionUrlRouter()  # type: ignore[no-untyped-call]  # powertools leaves __init__ unannotated


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
