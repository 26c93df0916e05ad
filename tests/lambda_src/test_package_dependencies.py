"""The function package stays light: lambda_src imports only the standard library, boto3/botocore
(from the Lambda runtime) and what lambda_src/requirements.txt ships."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.support import REPO_ROOT

LAMBDA_SRC = REPO_ROOT / "lambda_src"
ALLOWED = {"lambda_src", "boto3", "botocore", "aws_lambda_powertools", "pydantic", "pydantic_core"}
HEAVY = ("langchain", "numpy", "pandas", "torch", "transformers", "litellm", "openai", "httpx", "requests")


def _top_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_lambda_src_imports_only_the_standard_library_and_shipped_packages() -> None:
    found = {
        name: str(path.relative_to(REPO_ROOT))
        for path in LAMBDA_SRC.rglob("*.py")
        for name in _top_level_imports(path)
    }

    outside = {
        name: where
        for name, where in found.items()
        if name not in ALLOWED and name not in sys.stdlib_module_names
    }

    assert outside == {}


def test_requirements_hold_no_heavy_dependency() -> None:
    pinned = [
        line.split("==")[0].strip().lower()
        for line in (LAMBDA_SRC / "requirements.txt").read_text().splitlines()
    ]

    assert not [p for p in pinned if p.startswith(HEAVY)]
