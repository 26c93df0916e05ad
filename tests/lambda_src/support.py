"""Names shared by the lambda_src tests and their conftest (tests must not import conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PARAMETER_NAME = "/llm-inference/test/inventory"

# invoke(method, path, body=None, **make_event_kwargs) -> Function URL response
Invoke = Callable[..., dict[str, Any]]
# read_logs() -> the log lines emitted so far, parsed from powertools' JSON
ReadLogs = Callable[[], list[dict[str, Any]]]
