"""One IAM statement a stack grants the function, free of cdktf so config-level code can build it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    """One IAM statement; resources may hold Terraform tokens (the account id)."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    # (test, variable, values) conditions, e.g. ("ForAnyValue:StringEquals", "aws-marketplace:ProductId", ...)
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
