"""The function's logger and metrics, and the instrumentation of every upstream call.

Every model call gets CloudWatch metrics (EMF, flushed at the end of each request) with the
dimensions model and provider: ``UpstreamLatency``, ``InputTokens``, ``OutputTokens``, and
``UpstreamErrors`` with the error type as a dimension.

Tracing: Lambda's active tracing records each invocation; the invocation's trace header is
passed on to every AWS call the function makes (:mod:`lambda_src.aws_clients`), so upstream
segments join the invocation's trace. No tracing SDK is imported: the AWS X-Ray SDK is in
maintenance mode (end of support 2027-02-25) and cost about 105 ms of every cold start.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from lambda_src.chat import Usage
from lambda_src.exceptions import ApiError
from lambda_src.inventory import ModelSpec

NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "LlmInferenceApi"

logger = Logger()
metrics = Metrics(namespace=NAMESPACE)

# Libraries that log request and response bodies at DEBUG (botocore logs a GetSecretValue answer,
# so every API key; provider SDKs log prompts). They stay at WARNING whatever the app's level.
QUIET_LOGGERS = (
    "boto3",
    "botocore",
    "s3transfer",
    "urllib3",
    "httpx",
    "httpcore",
    "openai",
    "anthropic",
    "cohere",
    "mistralai",
    "langchain",
    "langchain_core",
    "langchain_openai",
    "langchain_anthropic",
    "langchain_cohere",
    "langchain_mistralai",
    "uvicorn",
    "asyncio",
)
for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)


@dataclass
class UpstreamCall:
    """Filled in by the caller (usage) and by :func:`upstream_call` (latency)."""

    usage: Usage | None = None
    latency_ms: float = 0.0


def record_success(spec: ModelSpec, call: UpstreamCall) -> None:
    metrics.add_dimension(name="model", value=spec.id)
    metrics.add_dimension(name="provider", value=spec.provider)
    metrics.add_metric(name="UpstreamLatency", unit=MetricUnit.Milliseconds, value=call.latency_ms)
    if call.usage is not None:
        metrics.add_metric(name="InputTokens", unit=MetricUnit.Count, value=call.usage.prompt_tokens)
        metrics.add_metric(name="OutputTokens", unit=MetricUnit.Count, value=call.usage.completion_tokens)


def record_failure(spec: ModelSpec, operation: str, err: ApiError, latency_ms: float) -> None:
    error_type = err.code or err.type
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
            "latency_ms": round(latency_ms, 1),
        },
    )


@contextmanager
def upstream_call(spec: ModelSpec, operation: str) -> Iterator[UpstreamCall]:
    call = UpstreamCall()
    start = time.perf_counter()
    try:
        yield call
    except ApiError as err:
        call.latency_ms = (time.perf_counter() - start) * 1000
        record_failure(spec, operation, err, call.latency_ms)
        raise
    call.latency_ms = (time.perf_counter() - start) * 1000
    record_success(spec, call)


def write_request_metrics() -> None:
    """The request's metrics as one EMF line on stdout (line-buffered by
    :func:`lambda_src.server.line_buffered_stdout`, so the line leaves the process as it is written)."""
    if metrics.metric_set:
        metrics.flush_metrics()
    else:
        metrics.clear_metrics()  # dimensions added by a call that then failed


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
