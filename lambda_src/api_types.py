"""The OpenAI request bodies this API accepts, as strict, frozen pydantic models.

Unions use callable discriminators with ``<tag>`` names, so a bad value yields one error whose
location reads as a plain field path once the tags are dropped (see :mod:`lambda_src.request_body`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from lambda_src.json_schema import schema_problem
from lambda_src.reasoning import ReasoningBlock, blocks_of

# Body-level limits, well above what a model takes and well below what hurts the function.
MAX_MESSAGES = 4096
MAX_TOOLS = 128
MAX_STOP_SEQUENCES = 4
MAX_EMBEDDING_INPUTS = 2048
MAX_OUTPUT_TOKENS = 1_000_000
ROLES = ("system", "developer", "user", "assistant", "tool")
IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}

_FROZEN = ConfigDict(extra="forbid", frozen=True, strict=True)
# Message objects echoed back by SDKs carry extra keys (refusal, audio, annotations): ignore them.
_LENIENT = ConfigDict(extra="ignore", frozen=True, strict=True)

ModelName = Annotated[str, StringConstraints(min_length=1, max_length=256)]
ToolName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
ToolCallId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Temperature = Annotated[float, Field(ge=0, le=2, allow_inf_nan=False)]
Penalty = Annotated[float, Field(ge=-2, le=2, allow_inf_nan=False)]
TokenCount = Annotated[int, Field(ge=1, le=MAX_OUTPUT_TOKENS)]
_DATA_URL = re.compile(r"^data:(?P<mime>image/[a-z0-9.+-]+);base64,(?P<data>.*)\Z", re.DOTALL)


def _data_url(url: str) -> str:
    m = _DATA_URL.match(url)
    if not m:
        raise ValueError(
            "image_url.url must be a base64 data URL (data:image/png;base64,...); remote URLs are not fetched"
        )
    if m.group("mime") not in IMAGE_FORMATS:
        raise ValueError("image type must be one of " + ", ".join(sorted(set(IMAGE_FORMATS.values()))))
    return url


def decode_image(url: str) -> tuple[str, bytes]:
    """``data:image/png;base64,...`` -> (``png``, bytes); raises ValueError if the data is not base64."""
    m = _DATA_URL.match(url)
    if not m:
        raise ValueError("not a data URL")
    try:
        data = base64.b64decode(m.group("data"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the image data is not valid base64") from None
    return IMAGE_FORMATS[m.group("mime")], data


def _tagged(value: Any, tags: dict[type, str]) -> str | None:
    for kind, tag in tags.items():
        if isinstance(value, kind):
            return tag
    return None


def _field(value: Any, name: str) -> Any:
    # Discriminators see JSON objects when validating and model instances when serializing.
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


# --- content ------------------------------------------------------------------------------------


class TextPart(BaseModel):
    model_config = _LENIENT

    type: Literal["text"]
    text: str


class ImageUrl(BaseModel):
    model_config = _LENIENT

    url: Annotated[str, AfterValidator(_data_url)]
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(BaseModel):
    model_config = _LENIENT

    type: Literal["image_url"]
    image_url: ImageUrl


def _part_tag(value: Any) -> str | None:
    kind = _field(value, "type")
    return f"<{kind}>" if kind in ("text", "image_url") else "<unknown>"


ContentPart = Annotated[
    Annotated[TextPart, Tag("<text>")] | Annotated[ImagePart, Tag("<image_url>")],
    Discriminator(
        _part_tag,
        custom_error_type="invalid_content_part",
        custom_error_message="content parts must have type 'text' or 'image_url'",
    ),
]
TextOnlyPart = Annotated[
    Annotated[TextPart, Tag("<text>")],
    Discriminator(
        lambda v: "<text>" if _field(v, "type") == "text" else "<other>",
        custom_error_type="invalid_content_part",
        custom_error_message="content parts of this message must have type 'text'",
    ),
]


def string_or_parts(message: str) -> Any:
    """The discriminator of a field that is a string or an array of parts (tagged ``<str>`` and
    ``<parts>``), with ``message`` for anything else."""
    tags: dict[type, str] = {str: "<str>", list: "<parts>", tuple: "<parts>"}
    return Discriminator(
        lambda v: _tagged(v, tags),
        custom_error_type="invalid_content",
        custom_error_message=message,
    )


def _content(*, optional: bool = False) -> Any:
    allowed = "a string or an array of content parts" + (" or null" if optional else "")
    return string_or_parts(f"content must be {allowed}")


UserContent = Annotated[
    Annotated[str, Tag("<str>")] | Annotated[tuple[ContentPart, ...], Field(min_length=1), Tag("<parts>")],
    _content(),
]
TextContent = Annotated[
    Annotated[str, Tag("<str>")] | Annotated[tuple[TextOnlyPart, ...], Field(min_length=1), Tag("<parts>")],
    _content(),
]
AssistantContent = Annotated[
    Annotated[str, Tag("<str>")] | Annotated[tuple[TextOnlyPart, ...], Tag("<parts>")],
    _content(optional=True),
]


def text_of(content: str | tuple[Any, ...] | None) -> str:
    """The text of a message's content (image parts are not text)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(p.text for p in content if isinstance(p, TextPart))


# --- messages -----------------------------------------------------------------------------------


class SystemMessage(BaseModel):
    model_config = _LENIENT

    role: Literal["system", "developer"]
    content: TextContent
    name: str | None = None


class UserMessage(BaseModel):
    model_config = _LENIENT

    role: Literal["user"]
    content: UserContent
    name: str | None = None


# JSON that the API passes on (tool schemas, tool-call arguments) nests at most this deep.
MAX_JSON_DEPTH = 64


def json_problem(value: Any) -> str | None:
    """Why ``value`` (parsed JSON) may not be passed on, or None: deeper than MAX_JSON_DEPTH, or
    holding NaN / Infinity, which JSON does not have."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"it nests deeper than {MAX_JSON_DEPTH} levels"
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, float) and not math.isfinite(item):
            return "it holds NaN or Infinity, which JSON does not allow"
    return None


class FunctionCall(BaseModel):
    model_config = _LENIENT

    name: ToolName
    # A JSON object, as a string (the model wrote it).
    arguments: str

    @field_validator("arguments")
    @classmethod
    def _passable(cls, arguments: str) -> str:
        try:
            parsed = json.loads(arguments)
        except RecursionError:
            raise ValueError(f"the tool call's arguments nest deeper than {MAX_JSON_DEPTH} levels") from None
        except ValueError:
            return arguments  # not JSON: the adapters that need an object say so
        problem = json_problem(parsed)
        if problem:
            raise ValueError(f"the tool call's arguments cannot be passed on: {problem}")
        return arguments


class ToolCall(BaseModel):
    model_config = _LENIENT

    id: ToolCallId
    type: Literal["function"] = "function"
    function: FunctionCall


class AssistantMessage(BaseModel):
    model_config = _LENIENT

    role: Literal["assistant"]
    content: AssistantContent | None = None
    tool_calls: tuple[ToolCall, ...] | None = None
    name: str | None = None
    # The model's thinking as this API returned it; sent back unchanged with its signature, the
    # provider gets its thinking blocks back (see lambda_src.reasoning).
    reasoning_content: str | None = None
    reasoning_signature: Annotated[str, StringConstraints(max_length=1_000_000)] | None = None

    @model_validator(mode="after")
    def _has_something(self) -> AssistantMessage:
        if not text_of(self.content) and not self.tool_calls:
            raise ValueError("an assistant message needs content or tool_calls")
        self.reasoning_blocks  # noqa: B018 - raises ValueError when the two reasoning fields disagree
        return self

    @property
    def reasoning_blocks(self) -> tuple[ReasoningBlock, ...]:
        return blocks_of(self.reasoning_content, self.reasoning_signature)


class ToolMessage(BaseModel):
    model_config = _LENIENT

    role: Literal["tool"]
    content: TextContent
    tool_call_id: ToolCallId


def _role_tag(value: Any) -> str | None:
    role = _field(value, "role")
    if role in ("system", "developer"):
        return "<system>"
    return f"<{role}>" if role in ROLES else "<unknown>"


Message = Annotated[
    Annotated[SystemMessage, Tag("<system>")]
    | Annotated[UserMessage, Tag("<user>")]
    | Annotated[AssistantMessage, Tag("<assistant>")]
    | Annotated[ToolMessage, Tag("<tool>")],
    Discriminator(
        _role_tag,
        custom_error_type="invalid_role",
        custom_error_message="each message must be an object whose role is one of " + ", ".join(ROLES),
    ),
]


# --- tools --------------------------------------------------------------------------------------


class FunctionDefinition(BaseModel):
    model_config = _FROZEN

    name: ToolName
    description: str | None = None
    # A JSON Schema object; an absent one means "no arguments".
    parameters: dict[str, Any] | None = None
    strict: bool | None = None

    @field_validator("parameters")
    @classmethod
    def _passable(cls, parameters: dict[str, Any] | None) -> dict[str, Any] | None:
        problem = json_problem(parameters)
        if problem:
            raise ValueError(f"the tool's parameters schema cannot be passed on: {problem}")
        return parameters


class Tool(BaseModel):
    model_config = _FROZEN

    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(BaseModel):
    model_config = _FROZEN

    name: ToolName


class NamedToolChoice(BaseModel):
    model_config = _FROZEN

    type: Literal["function"]
    function: NamedFunction


def tool_choice_discriminator(named: type[BaseModel], shape: str) -> Discriminator:
    """A mode (``none``, ``auto``, ``required``) or the ``named`` function, as ``shape`` shows it."""
    return Discriminator(
        lambda v: _tagged(v, {str: "<mode>", dict: "<named>", named: "<named>"}),
        custom_error_type="invalid_tool_choice",
        custom_error_message=f"tool_choice must be 'none', 'auto', 'required' or {shape}",
    )


ToolChoice = Annotated[
    Annotated[Literal["none", "auto", "required"], Tag("<mode>")]
    | Annotated[NamedToolChoice, Tag("<named>")],
    tool_choice_discriminator(NamedToolChoice, '{"type": "function", "function": {"name": ...}}'),
]
Stop = Annotated[
    Annotated[str, StringConstraints(min_length=1), Tag("<str>")]
    | Annotated[
        tuple[Annotated[str, StringConstraints(min_length=1)], ...],
        Field(max_length=MAX_STOP_SEQUENCES),
        Tag("<list>"),
    ],
    Discriminator(
        lambda v: _tagged(v, {str: "<str>", list: "<list>", tuple: "<list>"}),
        custom_error_type="invalid_stop",
        custom_error_message=f"stop must be a string or an array of at most {MAX_STOP_SEQUENCES} strings",
    ),
]


class StreamOptions(BaseModel):
    model_config = _FROZEN

    include_usage: bool | None = None


# --- structured output (response_format) ---------------------------------------------------------


class TextFormat(BaseModel):
    model_config = _FROZEN

    type: Literal["text"]


class JsonObjectFormat(BaseModel):
    model_config = _FROZEN

    type: Literal["json_object"]


class JsonSchemaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    # OpenAI's rule for the name (it also names the forced tool where a model answers through one).
    name: ToolName
    description: str | None = None
    # ``schema`` as the wire spells it (the attribute name would shadow BaseModel.schema).
    schema_: dict[str, Any] = Field(alias="schema")
    strict: bool | None = None

    @field_validator("schema_")
    @classmethod
    def _usable(cls, schema: dict[str, Any]) -> dict[str, Any]:
        problem = json_problem(schema) or schema_problem(schema)
        if problem:
            raise ValueError(f"the response_format schema cannot be used: {problem}")
        return schema


class JsonSchemaFormat(BaseModel):
    model_config = _FROZEN

    type: Literal["json_schema"]
    json_schema: JsonSchemaSpec


ResponseFormat = Annotated[
    Annotated[TextFormat, Tag("<text>")]
    | Annotated[JsonObjectFormat, Tag("<json_object>")]
    | Annotated[JsonSchemaFormat, Tag("<json_schema>")],
    Discriminator(
        lambda v: (
            f"<{kind}>"
            if (kind := _field(v, "type")) in ("text", "json_object", "json_schema")
            else "<unknown>"
        ),
        custom_error_type="invalid_response_format",
        custom_error_message="response_format.type must be 'text', 'json_object' or 'json_schema'",
    ),
]


class StructuredOutput(NamedTuple):
    """What a request asks the answer to be, whichever API shape asked (``response_format`` here,
    ``text.format`` in the Responses API): a JSON object (``schema`` None) or JSON matching
    ``schema``. Adapters send it to the model their way; every answer is checked against it."""

    name: str = "json_object"
    schema: dict[str, Any] | None = None
    description: str | None = None
    strict: bool = False

    @classmethod
    def of(
        cls, response_format: TextFormat | JsonObjectFormat | JsonSchemaFormat | None
    ) -> StructuredOutput | None:
        if isinstance(response_format, JsonObjectFormat):
            return cls()
        if isinstance(response_format, JsonSchemaFormat):
            spec = response_format.json_schema
            return cls(spec.name, spec.schema_, spec.description, bool(spec.strict))
        return None


# OpenAI's reasoning_effort values; each adapter maps them to its model's setting.
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
ServiceTier = Literal["auto", "default", "flex", "priority", "scale"]


# --- requests -----------------------------------------------------------------------------------


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``."""

    model_config = _FROZEN

    model: ModelName
    messages: Annotated[tuple[Message, ...], Field(min_length=1, max_length=MAX_MESSAGES)]
    max_tokens: TokenCount | None = None
    max_completion_tokens: TokenCount | None = None
    temperature: Temperature | None = None
    top_p: Probability | None = None
    stop: Stop | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    tools: Annotated[tuple[Tool, ...], Field(max_length=MAX_TOOLS)] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: ReasoningEffort | None = None
    service_tier: ServiceTier | None = None
    # Accepted for compatibility; each is documented as ignored or checked below.
    n: Annotated[int, Field(ge=1, le=1)] | None = None
    logprobs: bool | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    seed: int | None = None
    user: Annotated[str, StringConstraints(max_length=256)] | None = None
    # Extensions (the OpenAI SDKs send them with ``extra_body``): runtime overrides, for admin
    # principals in a dev stage only. Kept as plain objects here and validated by
    # lambda_src.overrides once the caller is authorized, so a refused caller learns nothing more.
    custom_model: dict[str, Any] | None = None
    model_overrides: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ChatCompletionRequest:
        if self.logprobs:
            raise ValueError("logprobs is not supported")
        if (
            self.max_tokens is not None
            and self.max_completion_tokens is not None
            and self.max_tokens != self.max_completion_tokens
        ):
            raise ValueError("max_tokens and max_completion_tokens disagree; send only max_completion_tokens")
        if not any(m.role != "system" and m.role != "developer" for m in self.messages):
            raise ValueError("messages must contain at least one user message")
        if self.tool_choice is not None and not self.tools:
            raise ValueError("tool_choice is only allowed when tools are specified")
        names = {t.function.name for t in self.tools or ()}
        if isinstance(self.tool_choice, NamedToolChoice) and self.tool_choice.function.name not in names:
            raise ValueError("tool_choice names a function that is not in tools")
        if self.tools and len(names) != len(self.tools):
            raise ValueError("tools must have distinct function names")
        return self

    @property
    def output_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def stop_sequences(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else self.stop

    @property
    def include_usage_chunk(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    @property
    def structured_output(self) -> StructuredOutput | None:
        return StructuredOutput.of(self.response_format)


# OpenAI's limit for one input, in tokens; LangChain's OpenAIEmbeddings cuts texts at 8191.
MAX_EMBEDDING_INPUT_TOKENS = 8192
_INPUT_KINDS = "a string, an array of strings, an array of token ids or an array of token-id arrays"


def _input_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "<str>"
    if isinstance(value, list | tuple):
        first = value[0] if value else ""
        if isinstance(first, int) and not isinstance(first, bool):
            return "<tokens>"
        return "<token_arrays>" if isinstance(first, list | tuple) else "<texts>"
    return None


TokenId = Annotated[int, Field(ge=0, le=2**31 - 1)]
TokenArray = Annotated[tuple[TokenId, ...], Field(min_length=1, max_length=MAX_EMBEDDING_INPUT_TOKENS)]
EmbeddingInput = Annotated[
    Annotated[str, StringConstraints(min_length=1), Tag("<str>")]
    | Annotated[
        tuple[Annotated[str, StringConstraints(min_length=1)], ...],
        Field(min_length=1, max_length=MAX_EMBEDDING_INPUTS),
        Tag("<texts>"),
    ]
    | Annotated[TokenArray, Tag("<tokens>")]
    | Annotated[
        tuple[TokenArray, ...], Field(min_length=1, max_length=MAX_EMBEDDING_INPUTS), Tag("<token_arrays>")
    ],
    Discriminator(
        _input_tag,
        custom_error_type="invalid_input",
        custom_error_message=f"input must be {_INPUT_KINDS}",
    ),
]


class EmbeddingRequest(BaseModel):
    """``POST /v1/embeddings``."""

    # Its validator is built with the first embeddings request, not with the app.
    model_config = ConfigDict(**_FROZEN, defer_build=True)

    model: ModelName
    input: EmbeddingInput
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, Field(ge=1, le=16384)] | None = None
    user: Annotated[str, StringConstraints(max_length=256)] | None = None

    @property
    def token_arrays(self) -> tuple[tuple[int, ...], ...] | None:
        """The inputs as token-id arrays, when they were sent that way."""
        if isinstance(self.input, str) or not self.input or isinstance(self.input[0], str):
            return None
        if isinstance(self.input[0], int):
            return (self.input,)
        return self.input

    @property
    def texts(self) -> tuple[str, ...]:
        if self.token_arrays is not None:
            raise ValueError("token arrays are decoded to text first (lambda_src.token_arrays)")
        return (self.input,) if isinstance(self.input, str) else tuple(self.input)  # type: ignore[arg-type]
