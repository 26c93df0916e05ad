"""The ``POST /v1/responses`` request body, as strict, frozen pydantic models.

Built from the pieces of :mod:`lambda_src.api_types` (names, limits, tool-call arguments, tool
schemas), so both APIs accept and refuse the same things. The API keeps nothing between
requests: whatever would need a stored response, item, conversation or prompt is refused with a
400 that says what is not kept (see the validators below).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
)

from lambda_src import api_types
from lambda_src.api_types import (
    MAX_MESSAGES,
    MAX_TOOLS,
    FunctionCall,
    FunctionDefinition,
    ImageUrl,
    ModelName,
    Probability,
    Temperature,
    TokenCount,
    ToolCallId,
    ToolName,
    _data_url,
    _field,
    _tagged,
    string_or_parts,
    tool_choice_discriminator,
)

# Built at the first /v1/responses request, not at import: a cold start that serves chat
# completions does not pay for this API's schemas.
_FROZEN = ConfigDict(**api_types._FROZEN, defer_build=True)
_LENIENT = ConfigDict(**api_types._LENIENT, defer_build=True)

STATELESS = "this API is stateless and keeps no {what}"
RESEND = "send the whole conversation in input instead"
MAX_METADATA_PAIRS = 16


# --- content parts ------------------------------------------------------------------------------


class InputText(BaseModel):
    model_config = _LENIENT

    type: Literal["input_text"]
    text: str


class InputImage(BaseModel):
    model_config = _LENIENT

    type: Literal["input_image"]
    # file_id names a file uploaded to OpenAI: nothing this API has.
    image_url: Annotated[str, AfterValidator(_data_url)]
    detail: Literal["auto", "low", "high", "original"] | None = None

    def as_image_url(self) -> ImageUrl:
        return ImageUrl(url=self.image_url, detail=None if self.detail in (None, "original") else self.detail)


class OutputText(BaseModel):
    """Text an assistant wrote earlier (annotations and logprobs are ignored)."""

    model_config = _LENIENT

    type: Literal["output_text"]
    text: str


class Refusal(BaseModel):
    model_config = _LENIENT

    type: Literal["refusal"]
    refusal: str


PART_TYPES = ("input_text", "input_image", "output_text", "refusal")


def _part_tag(value: Any) -> str:
    kind = _field(value, "type")
    return f"<{kind}>" if kind in PART_TYPES else "<unknown>"


ContentPart = Annotated[
    Annotated[InputText, Tag("<input_text>")]
    | Annotated[InputImage, Tag("<input_image>")]
    | Annotated[OutputText, Tag("<output_text>")]
    | Annotated[Refusal, Tag("<refusal>")],
    Discriminator(
        _part_tag,
        custom_error_type="invalid_content_part",
        custom_error_message="content parts must have type "
        + ", ".join(PART_TYPES)
        + " (input_image with a base64 data URL in image_url)",
    ),
]
Content = Annotated[
    Annotated[str, Tag("<str>")] | Annotated[tuple[ContentPart, ...], Field(min_length=1), Tag("<parts>")],
    string_or_parts("content must be a string or an array of content parts"),
]


# --- input items --------------------------------------------------------------------------------


class MessageItem(BaseModel):
    """A message: the caller's (``input_text``, ``input_image``) or an earlier answer's."""

    model_config = _LENIENT

    type: Literal["message"] = "message"
    role: Literal["user", "system", "developer", "assistant"]
    content: Content


class FunctionCallItem(FunctionCall):
    """A function call the model made earlier (``name`` and ``arguments`` as in Chat Completions)."""

    type: Literal["function_call"]
    call_id: ToolCallId


ToolOutputPart = Annotated[
    Annotated[InputText, Tag("<input_text>")],
    Discriminator(
        lambda v: "<input_text>" if _field(v, "type") == "input_text" else "<other>",
        custom_error_type="invalid_content_part",
        custom_error_message="a function call's output must be a string or input_text parts",
    ),
]

ToolOutput = Annotated[
    Annotated[str, Tag("<str>")] | Annotated[tuple[ToolOutputPart, ...], Field(min_length=1), Tag("<parts>")],
    string_or_parts("a function call's output must be a string or an array of input_text parts"),
]


class FunctionCallOutputItem(BaseModel):
    """The result of a function call, for the model's next turn."""

    model_config = _LENIENT

    type: Literal["function_call_output"]
    call_id: ToolCallId
    output: ToolOutput


def _refuse(message: str) -> Any:
    def refuse(_: Any) -> Any:
        raise ValueError(message)

    return AfterValidator(refuse)


ITEM_TYPES = ("message", "function_call", "function_call_output")
_REFUSED_ITEMS = {
    "item_reference": STATELESS.format(what="items")
    + f" to refer to; {RESEND} (the Vercel AI SDK does with providerOptions.openai.store = false)",
    "reasoning": "reasoning items are not accepted as input by this version of the API",
}


def _item_tag(value: Any) -> str:
    kind = _field(value, "type")
    if kind is None and _field(value, "role") is not None:
        return "<message>"
    if kind in ITEM_TYPES or kind in _REFUSED_ITEMS:
        return f"<{kind}>"
    return "<unknown>"


InputItem = Annotated[
    Annotated[MessageItem, Tag("<message>")]
    | Annotated[FunctionCallItem, Tag("<function_call>")]
    | Annotated[FunctionCallOutputItem, Tag("<function_call_output>")]
    | Annotated[Any, _refuse(_REFUSED_ITEMS["item_reference"]), Tag("<item_reference>")]
    | Annotated[Any, _refuse(_REFUSED_ITEMS["reasoning"]), Tag("<reasoning>")],
    Discriminator(
        _item_tag,
        custom_error_type="invalid_item",
        custom_error_message="each input item must be a message (with a role) or have type "
        + ", ".join(ITEM_TYPES[1:]),
    ),
]
Input = Annotated[
    Annotated[str, StringConstraints(min_length=1), Tag("<str>")]
    | Annotated[tuple[InputItem, ...], Field(min_length=1, max_length=MAX_MESSAGES), Tag("<items>")],
    Discriminator(
        lambda v: _tagged(v, {str: "<str>", list: "<items>", tuple: "<items>"}),
        custom_error_type="invalid_input",
        custom_error_message="input must be a string or an array of input items",
    ),
]


# --- tools --------------------------------------------------------------------------------------


class FunctionTool(FunctionDefinition):
    """A function tool, flat (Chat Completions nests the same fields under ``function``)."""

    type: Literal["function"]


Tool = Annotated[
    Annotated[FunctionTool, Tag("<function>")],
    Discriminator(
        lambda v: "<function>" if _field(v, "type") == "function" else "<other>",
        custom_error_type="invalid_tool",
        custom_error_message="only tools of type 'function' are supported (built-in tools such as "
        "web_search or file_search run on OpenAI's own servers)",
    ),
]


class FunctionToolChoice(BaseModel):
    model_config = _FROZEN

    type: Literal["function"]
    name: ToolName


ToolChoice = Annotated[
    Annotated[Literal["none", "auto", "required"], Tag("<mode>")]
    | Annotated[FunctionToolChoice, Tag("<named>")],
    tool_choice_discriminator(FunctionToolChoice, '{"type": "function", "name": ...}'),
]


# --- text format and reasoning ------------------------------------------------------------------


class TextFormat(BaseModel):
    """``text.format``: plain text, or JSON (``json_object``, ``json_schema`` with its schema)."""

    model_config = _FROZEN

    type: Literal["text", "json_object", "json_schema"]
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    schema_: Annotated[dict[str, Any] | None, Field(alias="schema")] = None
    description: str | None = None
    strict: bool | None = None


class TextConfig(BaseModel):
    model_config = _FROZEN

    format: TextFormat | None = None
    # Accepted and ignored: the models here have no verbosity setting.
    verbosity: Literal["low", "medium", "high"] | None = None


class ReasoningConfig(BaseModel):
    model_config = _FROZEN

    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh"] | None = None
    # Accepted and ignored: no summaries are written.
    summary: Literal["auto", "concise", "detailed"] | None = None
    generate_summary: Literal["auto", "concise", "detailed"] | None = None


class StreamOptions(BaseModel):
    model_config = _FROZEN

    include_obfuscation: bool | None = None


Includable = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ShortText = Annotated[str, StringConstraints(max_length=512)]
Metadata = Annotated[
    dict[Annotated[str, StringConstraints(max_length=64)], ShortText], Field(max_length=MAX_METADATA_PAIRS)
]


# --- the request --------------------------------------------------------------------------------


class ResponseCreateRequest(BaseModel):
    """``POST /v1/responses``."""

    model_config = _FROZEN

    model: ModelName
    input: Input
    instructions: str | None = None
    max_output_tokens: TokenCount | None = None
    temperature: Temperature | None = None
    top_p: Probability | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    tools: Annotated[tuple[Tool, ...], Field(max_length=MAX_TOOLS)] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    text: TextConfig | None = None
    reasoning: ReasoningConfig | None = None
    include: tuple[Includable, ...] | None = None
    metadata: (
        Annotated[dict[Annotated[str, StringConstraints(max_length=64)], ShortText], Field(max_length=16)]
        | None
    ) = None
    # Accepted for compatibility and ignored (documented), or checked below.
    truncation: Literal["auto", "disabled"] | None = None
    max_tool_calls: Annotated[int, Field(ge=1)] | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=0)] | None = None
    user: ShortText | None = None
    safety_identifier: ShortText | None = None
    prompt_cache_key: ShortText | None = None
    # What only a server that keeps state can do: refused when asked for.
    store: bool | None = None
    background: bool | None = None
    previous_response_id: str | None = None
    conversation: str | dict[str, Any] | None = None
    prompt: dict[str, Any] | None = None

    @field_validator("store")
    @classmethod
    def _not_stored(cls, store: bool | None) -> bool | None:
        if store:
            raise ValueError(STATELESS.format(what="responses") + f"; omit store or send false, and {RESEND}")
        return store

    @field_validator("background")
    @classmethod
    def _not_background(cls, background: bool | None) -> bool | None:
        if background:
            raise ValueError(STATELESS.format(what="responses") + " to poll; send stream: true instead")
        return background

    @field_validator("previous_response_id")
    @classmethod
    def _no_previous(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError(STATELESS.format(what="responses") + f"; {RESEND}")
        return value

    @field_validator("conversation")
    @classmethod
    def _no_conversation(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError(STATELESS.format(what="conversations") + f"; {RESEND}")
        return value

    @field_validator("prompt")
    @classmethod
    def _no_prompt(cls, value: Any) -> Any:
        if value is not None:
            raise ValueError(
                STATELESS.format(what="prompt templates") + "; send instructions and input instead"
            )
        return value

    @field_validator("include")
    @classmethod
    def _no_logprobs(cls, include: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if include and "message.output_text.logprobs" in include:
            raise ValueError("logprobs are not supported")
        return include
