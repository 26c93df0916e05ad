"""The model inventory: the one contract between the infrastructure and the runtime.

The synth serializes an :class:`Inventory` into an SSM parameter; the Lambda loads it back with
:meth:`Inventory.from_json`. A runtime "custom model" is a :class:`ModelSpec` sent in a request,
so every field here must stay JSON-serializable and free of code.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from lambda_src.openai_compatible import PROVIDER as OPENAI_COMPATIBLE
from lambda_src.openai_compatible import OpenAICompatibleConnection

INVENTORY_VERSION: Final = 1

# "ai21" stays readable so an old inventory is refused with the reason (lambda_src.retired_providers).
Provider = Literal[
    "bedrock",
    "sagemaker",
    "openai",
    "azure_openai",
    "cohere",
    "ai21",
    "anthropic",
    "mistral",
    "openai_compatible",
]
# Called through LangChain (lambda_src.adapters.third_party), from the deployment's provider layer.
THIRD_PARTY: Final = ("openai", "azure_openai", "cohere", "anthropic", "mistral", "openai_compatible")
# Model-family providers Bedrock serves; ARNs of custom/provisioned/imported models carry no
# family, so the config names it (always lower case, as Bedrock's own ids spell it).
BaseModelProvider = Literal[
    "ai21",
    "amazon",
    "anthropic",
    "cohere",
    "deepseek",
    "meta",
    "mistral",
    "openai",
    "qwen",
    "stability",
    "twelvelabs",
    "writer",
]
Task = Literal["chat", "embedding"]
# How a model is called on the wire. Bedrock: "converse" (default) or "invoke_model" (native
# body, for models Converse cannot serve). SageMaker codecs: "tgi-messages" (TGI's OpenAI-style
# messages API), "tgi-generate" (TGI /generate with a prompt format), "jumpstart-llama2-chat"
# (JumpStart's dialog format), "content-handler" (described by ``content_handler``),
# "openai-chat" (OpenAI's chat schema, as vLLM and SGLang serve it), "lmi-chat" (the same from
# DJL LMI, which streams JSON lines), "tei-embed" (Text Embeddings Inference).
Api = Literal[
    "converse",
    "invoke_model",
    "tgi-messages",
    "openai-chat",
    "lmi-chat",
    "tei-embed",
    "tgi-generate",
    "jumpstart-llama2-chat",
    "content-handler",
]
# Built-in chat prompt formats for text-completion endpoints.
PromptFormat = Literal["llama2-chat", "llama3-chat", "mistral-instruct", "falcon", "chatml"]

PublicModelId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$"),
]
RoleArn = Annotated[
    str,
    StringConstraints(pattern=r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"),
]
ExternalId = Annotated[str, StringConstraints(min_length=2, max_length=1224, pattern=r"^[\w+=,.@:/-]+$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class ContentHandler(BaseModel):
    """Wire format of a container given as data: what to send and where the answer is."""

    model_config = _STRICT

    content_type: str = "application/json"
    accepts: str = "application/json"
    # Dotted paths in the request body that receive the prompt and the model kwargs.
    input_prompt_path: str = "inputs"
    input_kwargs_path: str | None = "parameters"
    # JSONPath to the generated text in the response body.
    output_path: str = "$[0].generated_text"
    # The container's names for the generation settings inside the kwargs object; a setting
    # left out is not sent. None: TGI's names (max_new_tokens, temperature, top_p, stop).
    parameter_names: dict[Literal["max_tokens", "temperature", "top_p", "stop"], str] | None = None


class EndpointKwargs(BaseModel):
    """Per-call options of SageMaker InvokeEndpoint."""

    model_config = _STRICT

    custom_attributes: str | None = Field(default=None, max_length=1024)
    target_variant: str | None = Field(default=None, max_length=63)
    target_container_hostname: str | None = Field(default=None, max_length=63)
    inference_component_name: str | None = Field(default=None, max_length=63)


class Limits(BaseModel):
    model_config = _STRICT

    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    context_window: int | None = Field(default=None, ge=1, le=10_000_000)


class ModelSpec(BaseModel):
    """One callable model, whatever serves it."""

    model_config = _STRICT

    id: PublicModelId
    provider: Provider
    # Bedrock model id / inference profile id / ARN, SageMaker endpoint name, or provider model name.
    model: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    task: Task = "chat"
    region: Region | None = None
    role_arn: RoleArn | None = None
    external_id: ExternalId | None = None
    base_model_provider: BaseModelProvider | None = None
    api: Api | None = None
    prompt_format: PromptFormat | None = None
    # A custom prompt template (rendered in a sandbox); overrides prompt_format.
    prompt_template: str | None = Field(default=None, max_length=16_384)
    content_handler: ContentHandler | None = None
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    endpoint_kwargs: EndpointKwargs | None = None
    limits: Limits = Field(default_factory=Limits)
    # openai_compatible only: base URL, key name and headers of the provider entry.
    connection: OpenAICompatibleConnection | None = None

    @model_validator(mode="after")
    def _external_id_needs_role(self) -> ModelSpec:
        if self.external_id is not None and self.role_arn is None:
            raise ValueError("external_id is only meaningful together with role_arn")
        if (self.connection is None) == (self.provider == OPENAI_COMPATIBLE):
            raise ValueError(
                "connection is required for provider 'openai_compatible', and applies only there"
            )
        return self


class Inventory(BaseModel):
    """The deployment's models, in the order they are listed by ``GET /v1/models``."""

    model_config = _STRICT

    version: Literal[1] = INVENTORY_VERSION
    models: tuple[ModelSpec, ...] = ()
    # Third-party providers enabled in the deployment (their keys live in the API-keys secret).
    # Azure OpenAI deployments are listed in that secret, not here.
    third_party_providers: tuple[Provider, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> Inventory:
        seen: set[str] = set()
        for spec in self.models:
            if spec.id in seen:
                raise ValueError(f"model id {spec.id!r} appears more than once")
            seen.add(spec.id)
        return self

    def to_json(self) -> str:
        # Compact and stable: the parameter's size decides its SSM tier.
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Inventory:
        return cls.model_validate_json(raw)

    def get(self, model_id: str) -> ModelSpec | None:
        for spec in self.models:
            if spec.id == model_id:
                return spec
        return None


_OWNER_RE = re.compile(r"[^a-z0-9-]")


def owned_by(spec: ModelSpec) -> str:
    """The ``owned_by`` field of the OpenAI model list."""
    owner = spec.base_model_provider or (spec.connection.name if spec.connection else spec.provider)
    return _OWNER_RE.sub("-", owner.lower())
