"""The function package stays light: lambda_src imports only the standard library, boto3/botocore
(from the Lambda runtime) and what lambda_src/requirements.txt ships. The provider layer's
packages (LangChain) are imported by one module only, which is itself imported only inside a
function, when a third-party model is called."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.support import REPO_ROOT

LAMBDA_SRC = REPO_ROOT / "lambda_src"
ALLOWED = {
    "lambda_src",
    "boto3",
    "botocore",
    "aws_lambda_powertools",
    "pydantic",
    "pydantic_core",
    "starlette",
    "anyio",
    "uvicorn",
}
# The provider layer (modules/layer.py) and the one module allowed to import from it.
LAYER = {
    "langchain_core",
    "langchain_openai",
    "langchain_anthropic",
    "langchain_cohere",
    "langchain_mistralai",
}
LAYER_MODULE = LAMBDA_SRC / "adapters" / "langchain_chat.py"
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
        if not (path == LAYER_MODULE and name in LAYER)
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


def _module_level_imports(tree: ast.Module) -> set[str]:
    """Modules imported outside any function (at import time of the module)."""
    names: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        stack.extend(ast.iter_child_nodes(node))
    return names


def test_the_layer_module_is_imported_only_inside_functions() -> None:
    importers = {
        str(path.relative_to(REPO_ROOT))
        for path in LAMBDA_SRC.rglob("*.py")
        if "lambda_src.adapters.langchain_chat" in _module_level_imports(ast.parse(path.read_text()))
    }
    layer_at_import = {
        n.split(".")[0] for n in _module_level_imports(ast.parse(LAYER_MODULE.read_text()))
    } & LAYER

    assert importers == set()
    # The layer module needs langchain-core's message classes at import; each provider's
    # integration is imported only when a model of that provider is first built.
    assert layer_at_import == {"langchain_core"}
