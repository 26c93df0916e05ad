"""One IAM statement, free of cdktf so config-level code and the exported modules can build it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TerraformList:
    """A Terraform expression (without ``${}``) whose value is a list of strings, such as
    ``var.bedrock_invoke_arns``: how the exported modules fill a statement from their inputs."""

    expression: str


Values = tuple[str, ...] | TerraformList


@dataclass(frozen=True)
class Grant:
    """One Allow statement; resources may hold Terraform expressions (the account id)."""

    sid: str
    actions: tuple[str, ...]
    resources: Values
    # (test, variable, values) conditions, e.g. ("ForAnyValue:StringEquals", "aws-marketplace:ProductId", ...)
    conditions: tuple[tuple[str, str, Values], ...] = ()

    def concrete_resources(self) -> tuple[str, ...]:
        if isinstance(self.resources, TerraformList):
            raise TypeError(f"statement {self.sid} has a Terraform list, not resources")
        return self.resources
