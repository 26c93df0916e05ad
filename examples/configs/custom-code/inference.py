"""Inference handlers for the PyTorch Deep Learning Container's inference toolkit.

The toolkit loads this file from /opt/ml/model/code (SAGEMAKER_PROGRAM) and calls model_fn once,
then input_fn -> predict_fn -> output_fn per request. This example serves a text-generation
pipeline for a model stored beside the code in the archive or named by HF_MODEL_ID, with the
request shape {"inputs": "...", "parameters": {...}} and the answer [{"generated_text": "..."}].
"""

from __future__ import annotations

import json
import os
from typing import Any

MAX_NEW_TOKENS_LIMIT = 4096


def model_fn(model_dir: str) -> Any:
    from transformers import pipeline  # provided by the Hugging Face / PyTorch DLC images

    source = os.environ.get("HF_MODEL_ID") or model_dir
    return pipeline("text-generation", model=source, device_map="auto")


def input_fn(body: bytes | str, content_type: str) -> dict[str, Any]:
    if content_type != "application/json":
        raise ValueError(f"unsupported content type {content_type!r}; send application/json")
    payload = json.loads(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
        raise ValueError('the body must be {"inputs": "<prompt>", "parameters": {...}}')
    return payload


def predict_fn(payload: dict[str, Any], generator: Any) -> list[dict[str, str]]:
    params = dict(payload.get("parameters") or {})
    params["max_new_tokens"] = min(int(params.get("max_new_tokens", 256)), MAX_NEW_TOKENS_LIMIT)
    params.setdefault("return_full_text", False)
    outputs = generator(payload["inputs"], **params)
    return [{"generated_text": out["generated_text"]} for out in outputs]


def output_fn(prediction: list[dict[str, str]], accept: str) -> tuple[str, str]:
    return json.dumps(prediction), "application/json"
