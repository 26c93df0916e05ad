"""Small builders for Terraform JSON syntax: variables with types and validations, outputs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from modules.lambda_contract import AWS_PROVIDER_VERSION

NO_DEFAULT = object()


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    description: str
    default: Any = NO_DEFAULT
    sensitive: bool = False
    nullable: bool | None = None
    # (condition, error message) pairs; conditions are Terraform expressions without ${}.
    validations: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "description": self.description}
        if self.default is not NO_DEFAULT:
            out["default"] = self.default
        if self.sensitive:
            out["sensitive"] = True
        if self.nullable is not None:
            out["nullable"] = self.nullable
        if self.validations:
            out["validation"] = [
                {"condition": f"${{{cond}}}", "error_message": msg} for cond, msg in self.validations
            ]
        return out

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT


@dataclass(frozen=True)
class Output:
    name: str
    value: str  # a Terraform expression without ${}, or a template with template=True
    description: str
    sensitive: bool = False
    template: bool = False

    def to_json(self) -> dict[str, Any]:
        value = self.value if self.template else f"${{{self.value}}}"
        out: dict[str, Any] = {"value": value, "description": self.description}
        if self.sensitive:
            out["sensitive"] = True
        return out


@dataclass
class ModuleDoc:
    """One child module: its Terraform JSON files and what its README says."""

    name: str
    summary: str
    variables: list[Variable]
    outputs: list[Output]
    resources: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    usage: str = ""
    notes: str = ""
    extra_files: dict[str, bytes] = field(default_factory=dict)
    provider_version: str = AWS_PROVIDER_VERSION

    def files(self) -> dict[str, str]:
        provider_version = self.provider_version

        def dump(doc: dict[str, Any]) -> str:
            return json.dumps(doc, indent=2, sort_keys=False) + "\n"

        main: dict[str, Any] = {}
        if self.locals:
            main["locals"] = self.locals
        if self.data:
            main["data"] = self.data
        main["resource"] = self.resources
        return {
            "versions.tf.json": dump(
                {
                    "terraform": {
                        "required_version": ">= 1.5.0",
                        "required_providers": {
                            "aws": {"source": "hashicorp/aws", "version": provider_version}
                        },
                    }
                }
            ),
            "variables.tf.json": dump({"variable": {v.name: v.to_json() for v in self.variables}}),
            "main.tf.json": dump(main),
            "outputs.tf.json": dump({"output": {o.name: o.to_json() for o in self.outputs}}),
            "README.md": self.readme(),
        }

    def readme(self) -> str:
        provider_version = self.provider_version

        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        lines = [
            f"# {self.name}",
            "",
            self.summary,
            "",
            "## Usage",
            "",
            "```hcl",
            self.usage.strip(),
            "```",
            "",
        ]
        if self.notes:
            lines += [self.notes.strip(), ""]
        lines += [
            "## Requirements",
            "",
            f"Terraform >= 1.5.0, provider `hashicorp/aws` `{provider_version}`. The module configures no "
            "provider and no backend: the calling module does.",
            "",
            "## Inputs",
            "",
            "| Name | Type | Default | Description |",
            "|---|---|---|---|",
        ]
        for v in self.variables:
            default = "required" if v.required else f"`{json.dumps(v.default)}`"
            lines.append(f"| `{v.name}` | `{cell(v.type)}` | {cell(default)} | {cell(v.description)} |")
        lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
        lines += [f"| `{o.name}` | {cell(o.description)} |" for o in self.outputs]
        return "\n".join(lines) + "\n"
