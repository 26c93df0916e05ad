"""The function's logger, tracer and metrics, and the instrumentation of every upstream call.

Each model call gets an X-Ray subsegment annotated with model, provider and operation, and
CloudWatch metrics (EMF) with the dimensions model and provider: ``UpstreamLatency``,
``InputTokens``, ``OutputTokens``, and ``UpstreamErrors`` with the error type as a dimension.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from lambda_src.chat import Usage
from lambda_src.exceptions import ApiError
from lambda_src.inventory import ModelSpec

NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "LlmInferenceApi"

logger = Logger()
# Only boto calls are traced: patching every library X-Ray knows costs import time for nothing.
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics(namespace=NAMESPACE)


@dataclass
class UpstreamCall:
    """Filled in by the caller (usage) and by :func:`upstream_call` (latency)."""

    usage: Usage | None = None
    latency_ms: float = 0.0


@contextmanager
def upstream_call(spec: ModelSpec, operation: str) -> Iterator[UpstreamCall]:
    call = UpstreamCall()
    start = time.perf_counter()
    with tracer.provider.in_subsegment(name=f"## {spec.provider}.{operation}") as subsegment:
        subsegment.put_annotation("model", spec.id)
        subsegment.put_annotation("provider", spec.provider)
        subsegment.put_annotation("operation", operation)
        try:
            yield call
        except ApiError as err:
            call.latency_ms = (time.perf_counter() - start) * 1000
            error_type = err.code or err.type
            subsegment.put_annotation("error_type", error_type)
            _count_error(spec, error_type)
            logger.warning(
                "upstream call failed",
                extra={
                    "model": spec.id,
                    "provider": spec.provider,
                    "operation": operation,
                    "status": err.status,
                    "error_type": error_type,
                    "reason": err.reason,
                    "latency_ms": round(call.latency_ms, 1),
                },
            )
            raise
        call.latency_ms = (time.perf_counter() - start) * 1000
    metrics.add_dimension(name="model", value=spec.id)
    metrics.add_dimension(name="provider", value=spec.provider)
    metrics.add_metric(name="UpstreamLatency", unit=MetricUnit.Milliseconds, value=call.latency_ms)
    if call.usage is not None:
        metrics.add_metric(name="InputTokens", unit=MetricUnit.Count, value=call.usage.prompt_tokens)
        metrics.add_metric(name="OutputTokens", unit=MetricUnit.Count, value=call.usage.completion_tokens)


def _count_error(spec: ModelSpec, error_type: str) -> None:
    # A metric of its own: the error type must not become a dimension of the latency metrics.
    with single_metric(
        name="UpstreamErrors",
        unit=MetricUnit.Count,
        value=1,
        namespace=NAMESPACE,
        default_dimensions={"model": spec.id, "provider": spec.provider, "error_type": error_type},
    ):
        pass
