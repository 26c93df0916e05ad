"""What a Bedrock model takes for structured output, reasoning and service tiers, and the
Converse fields that ask for them (pure).

Facts by model family, checked 2026-11-29 against the Bedrock user guide ("Get validated JSON
results from models", "Adaptive thinking", "Extended thinking", the OpenAI and Nova 2 model
pages, "Service tiers") and botocore 1.44.5's bedrock-runtime model, which has
``outputConfig.textFormat``, ``outputConfig.effort``, ``serviceTier`` and ``reasoningContent``:

==========================  ===================================  ===================================
model                       response_format json_schema          reasoning_effort
==========================  ===================================  ===================================
Claude 4.5 and later        native (``outputConfig.textFormat``)  4.6 and later: adaptive thinking +
                                                                  ``outputConfig.effort`` (4.7,
                                                                  Mythos, 5: adaptive only, a
                                                                  ``budget_tokens`` is a 400)
Claude 3.7 to 4.1           a forced tool                         ``thinking.budget_tokens``
Nova 2                      a forced tool                         ``reasoningConfig``
gpt-oss                     a forced tool                         ``reasoning_effort``
DeepSeek-R1                 a forced tool                         always reasons; nothing to set
others, and ARNs            a forced tool                         400
==========================  ===================================  ===================================

``json_object`` always goes through a forced tool (an object schema with no constraints), which
every Converse model with tool use takes. Claude refuses a forced tool while thinking, so
a forced tool and ``reasoning_effort`` together are a 400. Service tiers are per model and
Region: Bedrock answers a tier the model does not offer with a ValidationException (400).
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from lambda_src.api_types import AssistantMessage, ChatCompletionRequest, StructuredOutput, ToolMessage
from lambda_src.bedrock_ids import ModelIdError, parse_model_ref
from lambda_src.exceptions import InvalidRequestError
from lambda_src.inventory import ModelSpec

_ANY_OBJECT: dict[str, Any] = {"type": "object"}
_VERSION = re.compile(r"^\d{1,2}$")
# reasoning_effort -> Claude's effort (adaptive thinking), and the thinking budget of older models.
CLAUDE_EFFORT = {"minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "xhigh"}
THINKING_BUDGET = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 32768}
MIN_THINKING_BUDGET = 1024
# Room for the answer after a thinking budget, when the request sets no max_tokens.
ANSWER_TOKENS = 4096
THREE_LEVELS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "high"}
SERVICE_TIERS = {"default": "default", "flex": "flex", "priority": "priority"}


def _base_id(spec: ModelSpec) -> str:
    try:
        return parse_model_ref(spec.model).base_model_id or ""
    except ModelIdError:
        return ""


def claude_version(base_id: str) -> tuple[int, int] | None:
    """(major, minor) of a Claude model id; Mythos models count as 5.0; None if not Claude."""
    name = base_id.partition(".")[2].split(":")[0]
    if not base_id.startswith("anthropic.") or not name.startswith("claude-"):
        return None
    tokens = name.removeprefix("claude-").split("-")
    for i, token in enumerate(tokens):
        if _VERSION.match(token):
            minor = tokens[i + 1] if i + 1 < len(tokens) and _VERSION.match(tokens[i + 1]) else "0"
            return int(token), int(minor)
    return (5, 0) if "mythos" in tokens else None


class Features(NamedTuple):
    """The Converse fields for a request's structured output, reasoning and service tier."""

    # The forced tool that carries a structured answer (its input is the answer), or None.
    answer_tool: str | None = None
    tool_config: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None
    additional_fields: dict[str, Any] | None = None
    service_tier: dict[str, str] | None = None
    # Claude's thinking is on: temperature and top_p are left out, maxTokens may be raised.
    thinking: bool = False
    min_max_tokens: int | None = None


def _structured(spec: ModelSpec, request: ChatCompletionRequest, output: StructuredOutput) -> Features:
    version = claude_version(_base_id(spec))
    if output.schema is not None and version is not None and version >= (4, 5):
        fmt: dict[str, Any] = {"schema": json.dumps(output.schema), "name": output.name}
        if output.description:
            fmt["description"] = output.description
        return Features(
            output_config={"textFormat": {"type": "json_schema", "structure": {"jsonSchema": fmt}}}
        )
    if request.tools:
        raise InvalidRequestError(
            f"model {spec.id!r} answers response_format through a forced tool, which cannot be combined "
            "with tools; send one or the other",
            param="response_format",
        )
    schema = output.schema if output.schema is not None else _ANY_OBJECT
    if schema.get("type") != "object":
        raise InvalidRequestError(
            f"model {spec.id!r} answers response_format through a tool, whose input must be a JSON "
            'object: the schema\'s top level must be {"type": "object", ...}',
            param="response_format.json_schema.schema",
        )
    tool: dict[str, Any] = {"name": output.name, "inputSchema": {"json": schema}}
    tool["description"] = output.description or "Give the answer as this tool's input."
    config = {"tools": [{"toolSpec": tool}], "toolChoice": {"tool": {"name": output.name}}}
    return Features(answer_tool=output.name, tool_config=config)


def _assistant_tool_turn_lacks_thinking(request: ChatCompletionRequest) -> bool:
    """Whether the conversation continues a tool call whose assistant turn came back without its
    signed thinking (Claude refuses thinking then: the turn must start with its thinking block)."""
    messages = request.messages
    if not messages or not isinstance(messages[-1], ToolMessage):
        return False
    for message in reversed(messages):
        if isinstance(message, AssistantMessage):
            signed = any(b.signature or b.redacted for b in message.reasoning_blocks)
            return bool(message.tool_calls) and not signed
    return False


def _claude_reasoning(
    spec: ModelSpec, request: ChatCompletionRequest, effort: str, version: tuple[int, int]
) -> Features:
    if effort == "none":
        return Features()
    if request.temperature is not None or request.top_p is not None:
        raise InvalidRequestError(
            f"model {spec.id!r} thinks at its own temperature: leave temperature and top_p out when "
            "reasoning_effort is set",
            param="reasoning_effort",
        )
    if request.tool_choice not in (None, "auto", "none"):
        raise InvalidRequestError(
            f"model {spec.id!r} cannot be forced to call a tool while thinking: use tool_choice 'auto' "
            "or leave reasoning_effort out",
            param="tool_choice",
        )
    if _assistant_tool_turn_lacks_thinking(request):
        return Features()
    if version >= (4, 6):
        return Features(
            additional_fields={"thinking": {"type": "adaptive"}},
            output_config={"effort": CLAUDE_EFFORT[effort]},
            thinking=True,
        )
    budget = THINKING_BUDGET[effort]
    limit = request.output_limit
    if limit is not None:
        if limit <= MIN_THINKING_BUDGET:
            raise InvalidRequestError(
                f"model {spec.id!r} needs max_tokens above {MIN_THINKING_BUDGET} to think "
                "(thinking counts against it)",
                param="max_tokens",
            )
        budget = min(budget, limit - 1)
    return Features(
        additional_fields={"thinking": {"type": "enabled", "budget_tokens": budget}},
        thinking=True,
        min_max_tokens=budget + ANSWER_TOKENS,
    )


def _reasoning(spec: ModelSpec, request: ChatCompletionRequest, effort: str) -> Features:
    base = _base_id(spec)
    version = claude_version(base)
    if version is not None and version >= (3, 7):
        return _claude_reasoning(spec, request, effort, version)
    if effort == "none":
        return Features()
    if base.startswith("amazon.nova-2"):
        config = {"type": "enabled", "maxReasoningEffort": THREE_LEVELS[effort]}
        return Features(additional_fields={"reasoningConfig": config})
    if base.startswith("openai.gpt-oss"):
        return Features(additional_fields={"reasoning_effort": THREE_LEVELS[effort]})
    if base.startswith("deepseek.r1"):
        return Features()  # it always reasons, at its own length
    raise InvalidRequestError(
        f"model {spec.id!r} has no reasoning setting this API knows; reasoning_effort is taken by Claude "
        "3.7 and later, Nova 2, gpt-oss and DeepSeek-R1 on Bedrock",
        param="reasoning_effort",
    )


def _merge(*parts: Features) -> Features:
    def joined(name: str) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for part in parts:
            out.update(getattr(part, name) or {})
        return out or None

    return Features(
        answer_tool=next((p.answer_tool for p in parts if p.answer_tool), None),
        tool_config=next((p.tool_config for p in parts if p.tool_config), None),
        output_config=joined("output_config"),
        additional_fields=joined("additional_fields"),
        service_tier=next((p.service_tier for p in parts if p.service_tier), None),
        thinking=any(p.thinking for p in parts),
        min_max_tokens=max((p.min_max_tokens for p in parts if p.min_max_tokens), default=None),
    )


_NONE = Features()


def features(spec: ModelSpec, request: ChatCompletionRequest) -> Features:
    """The Converse fields for what ``request`` asks beyond messages, tools and sampling."""
    output = request.structured_output
    if output is None and not request.reasoning_effort and request.service_tier in (None, "auto"):
        return _NONE  # most requests: nothing to merge
    structured = _structured(spec, request, output) if output else Features()
    reasoning = (
        _reasoning(spec, request, request.reasoning_effort) if request.reasoning_effort else Features()
    )
    if structured.answer_tool and reasoning.thinking:
        raise InvalidRequestError(
            f"model {spec.id!r} answers response_format through a forced tool, and cannot be forced to "
            "call a tool while thinking: leave reasoning_effort out, or use a model with native structured "
            "output (Claude 4.5 and later, with a json_schema)",
            param="reasoning_effort",
        )
    tier = request.service_tier
    if tier == "scale":
        raise InvalidRequestError(
            "service_tier 'scale' has no Bedrock equivalent; use 'auto', 'default', 'flex' or 'priority'",
            param="service_tier",
        )
    service = Features(service_tier={"type": SERVICE_TIERS[tier]}) if tier and tier != "auto" else Features()
    return _merge(structured, reasoning, service)
