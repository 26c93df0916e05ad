"""SageMaker part of the deployment config: self-hosted endpoints and existing ones.

Kinds (``kind``): ``huggingface`` (a Hub or S3 model on a serving engine: vLLM, SGLang, DJL LMI,
TEI for embeddings, or the legacy TGI), ``jumpstart`` (curated spec or explicit image +
model data), ``custom`` (image + S3 model data), ``custom_code`` (a local folder of inference code
packaged at synth, on a Deep Learning Container image), ``existing_endpoint`` (IAM and inventory
only).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from lambda_src.inventory import Api, ContentHandler, EndpointKwargs, PromptFormat, PublicModelId
from modules import sagemaker_catalog as catalog
from modules import sagemaker_engines as engines
from modules.config_types import (
    ExternalId,
    KmsKeyArn,
    Region,
    RoleArn,
    SecretArn,
    StrictModel,
    TagKey,
    TagValue,
)
from modules.sagemaker_engines import Engine

# SageMaker names (endpoint, endpoint config, model): at most 63 characters of this shape.
SAGEMAKER_NAME_MAX = 63
_SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
# Model and endpoint-config names carry an 8-character content hash (see modules/sagemaker_endpoint.py).
HASH_SUFFIX_LEN = 9

EndpointShortName = Annotated[
    str, StringConstraints(min_length=1, max_length=50, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,1023}$")]
EnvValue = Annotated[str, StringConstraints(max_length=1024)]
S3Uri = Annotated[
    str,
    StringConstraints(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$", max_length=1024),
]
ImageUri = Annotated[
    str,
    StringConstraints(
        pattern=r"^\d{12}\.dkr\.ecr\.[a-z]{2}(-gov)?-[a-z]+-\d\.amazonaws\.com(\.cn)?/[a-z0-9][a-z0-9._/-]*(:[\w.-]{1,128}|@sha256:[0-9a-f]{64})$"
    ),
]
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SecurityGroupId = Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]
SageMakerCodec = Literal[
    "openai-chat",
    "lmi-chat",
    "tgi-messages",
    "tgi-generate",
    "jumpstart-llama2-chat",
    "content-handler",
    "tei-embed",
]
Environment = dict[EnvName, EnvValue]

# Environment names that carry the Hugging Face token: set from the secret, never from config.
TOKEN_ENV_NAMES = frozenset({"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_API_TOKEN"})


class HuggingFaceToken(StrictModel):
    """An existing secret holding the Hub token: plain text, or a JSON object with ``json_key``."""

    secret_arn: SecretArn
    json_key: Annotated[str, StringConstraints(min_length=1, max_length=256)] = "HF_TOKEN"


class VpcConfig(StrictModel):
    subnet_ids: tuple[SubnetId, ...] = Field(min_length=1, max_length=16)
    security_group_ids: tuple[SecurityGroupId, ...] = Field(min_length=1, max_length=5)


class Autoscaling(StrictModel):
    min_instances: int = Field(default=1, ge=1, le=100)
    max_instances: int = Field(ge=1, le=100)
    target_invocations_per_instance: int = Field(default=60, ge=1, le=100_000)
    scale_in_cooldown_seconds: int = Field(default=600, ge=0, le=86_400)
    scale_out_cooldown_seconds: int = Field(default=120, ge=0, le=86_400)

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min_instances > self.max_instances:
            raise ValueError(
                f"min_instances ({self.min_instances}) is above max_instances ({self.max_instances})"
            )
        return self


class _Endpoint(StrictModel):
    """What every kind has: a name, how the runtime talks to it, and its public id."""

    name: EndpointShortName
    # Public model id in /v1/models and requests; defaults to ``name``.
    id: PublicModelId | None = None
    codec: SageMakerCodec | None = None
    prompt_format: PromptFormat | None = None
    content_handler: ContentHandler | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)

    @property
    def public_id(self) -> str:
        return self.id or self.name

    def _check_codec(self, codec: str | None) -> None:
        if codec is None:
            raise ValueError(
                "set codec: one of 'openai-chat' (vLLM, SGLang), 'lmi-chat' (DJL LMI), 'tgi-messages', "
                "'tgi-generate', 'content-handler'"
            )
        if codec == "tgi-generate" and self.prompt_format is None:
            raise ValueError(
                "codec 'tgi-generate' sends a single prompt: set prompt_format "
                "('llama2-chat', 'llama3-chat', 'mistral-instruct', 'falcon' or 'chatml')"
            )
        if codec == "content-handler" and self.content_handler is None:
            raise ValueError("codec 'content-handler' needs content_handler (content type, paths)")
        if codec != "content-handler" and self.content_handler is not None:
            raise ValueError("content_handler applies only with codec 'content-handler'")

    def effective_codec(self) -> Api:
        assert self.codec is not None
        return self.codec


class _Hosted(_Endpoint):
    """An endpoint this stack deploys."""

    instance_type: str
    instance_count: int = Field(default=1, ge=1, le=100)
    startup_health_check_timeout_seconds: int = Field(default=900, ge=60, le=3600)
    model_download_timeout_seconds: int = Field(default=1200, ge=60, le=3600)
    volume_size_gb: int | None = Field(default=None, ge=1, le=512)
    kms_key_arn: KmsKeyArn | None = None
    network_isolation: bool = False
    vpc: VpcConfig | None = None
    autoscaling: Autoscaling | None = None
    environment: Environment = Field(default_factory=dict)
    tags: dict[TagKey, TagValue] = Field(default_factory=dict, max_length=40)

    @field_validator("instance_type")
    @classmethod
    def _known_instance(cls, value: str) -> str:
        catalog.instance_info(value)
        return value

    @model_validator(mode="after")
    def _check_hosting(self) -> _Hosted:
        info = catalog.instance_info(self.instance_type)
        if self.kms_key_arn is not None and not info.supports_volume_size:
            raise ValueError(
                f"kms_key_arn: {self.instance_type} has local NVMe instance storage, which SageMaker "
                "encrypts in hardware, and CreateEndpointConfig refuses a KMS key for such types; remove "
                "kms_key_arn (it applies to types with an EBS volume: p3, inf2)"
            )
        if self.volume_size_gb is not None and not info.supports_volume_size:
            raise ValueError(
                f"volume_size_gb: {self.instance_type} uses local NVMe instance storage and SageMaker "
                "does not accept a volume size for it; remove volume_size_gb"
            )
        if self.autoscaling and not (
            self.autoscaling.min_instances <= self.instance_count <= self.autoscaling.max_instances
        ):
            raise ValueError(
                f"instance_count {self.instance_count} is outside autoscaling's "
                f"{self.autoscaling.min_instances}..{self.autoscaling.max_instances}"
            )
        bad_env = sorted(TOKEN_ENV_NAMES & set(self.environment))
        if bad_env:
            raise ValueError(
                f"environment must not set {', '.join(bad_env)}: the Hugging Face token comes from "
                "sagemaker.huggingface_token (a Secrets Manager secret), never from the config file"
            )
        return self


ParserName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class EngineSettings(StrictModel):
    """A serving engine's settings; each left out keeps the engine's own default, except the
    tensor parallel degree, which defaults to the instance's GPU count."""

    # The engine image version (the table in modules/sagemaker_engines.py); default the newest.
    version: Annotated[str, StringConstraints(pattern=r"^\d+(\.\d+){1,2}$")] | None = None
    tensor_parallel_degree: int | None = Field(default=None, ge=1, le=64)
    max_model_len: int | None = Field(default=None, ge=16, le=2_000_000)
    # Share of each GPU's memory the engine may take (weights and KV cache).
    gpu_memory_fraction: float | None = Field(default=None, gt=0.0, lt=1.0)
    quantization: Literal["awq", "gptq", "fp8", "bitsandbytes"] | None = None
    # The engine's parser for the model's tool-call format (e.g. "hermes", "llama3_json",
    # "mistral"); setting it turns tool calling on.
    tool_call_parser: ParserName | None = None
    # The engine's parser for the model's reasoning text (e.g. "deepseek_r1", "qwen3").
    reasoning_parser: ParserName | None = None


class HuggingFaceEndpoint(_Hosted):
    kind: Literal["huggingface"]
    # Unset means "tgi" (legacy), so an existing endpoint is never swapped for another engine;
    # new configs (scripts/configure, the README) name "vllm".
    engine: Engine | None = None
    engine_settings: EngineSettings = Field(default_factory=EngineSettings)
    task: Literal["chat", "embedding"] = "chat"
    # The model: a Hub id, or S3 model data the container finds in /opt/ml/model.
    hf_model_id: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][\w.-]{0,95}(/[A-Za-z0-9][\w.-]{0,95})?$")]
        | None
    ) = None
    model_data: S3Uri | None = None
    # TGI (legacy) only.
    tgi_version: str | None = None
    max_input_tokens: int | None = Field(default=None, ge=1, le=2_000_000)
    max_total_tokens: int | None = Field(default=None, ge=2, le=2_000_000)

    @property
    def effective_engine(self) -> Engine:
        return self.engine or "tgi"

    @field_validator("tgi_version")
    @classmethod
    def _known_version(cls, value: str | None) -> str | None:
        if value is not None:
            catalog.tgi_env_names(value)
        return value

    @model_validator(mode="after")
    def _check_hf(self) -> HuggingFaceEndpoint:
        if (self.hf_model_id is None) == (self.model_data is None):
            raise ValueError("give either hf_model_id (a Hub model) or model_data (the model in S3)")
        if self.network_isolation and self.hf_model_id is not None:
            raise ValueError(
                "network_isolation: the container downloads the model from the Hugging Face Hub at "
                "startup, which network isolation blocks; put the weights in S3 and use model_data"
            )
        engine = self.effective_engine
        if (engine == "tei") != (self.task == "embedding"):
            raise ValueError(
                "engine 'tei' (Text Embeddings Inference) serves task 'embedding', and embedding "
                "endpoints use engine 'tei'"
                if engine == "tei"
                else f"task 'embedding' needs engine 'tei' (engine {engine!r} serves chat models)"
            )
        engines.check_settings(engine, self.engine_settings, catalog.instance_info(self.instance_type))
        if engine != "tgi":
            tgi_only = [
                f for f in ("tgi_version", "max_input_tokens", "max_total_tokens") if getattr(self, f)
            ]
            if tgi_only:
                raise ValueError(
                    f"{', '.join(tgi_only)} apply to engine 'tgi' only; for engine {engine!r} use "
                    "engine_settings (version, max_model_len)"
                )
            if self.codec is not None or self.prompt_format is not None:
                raise ValueError(
                    f"codec and prompt_format apply to engine 'tgi' only; engine {engine!r} serves the "
                    "OpenAI chat schema, which the API speaks without them"
                )
            return self
        names = catalog.tgi_env_names(self.tgi_version or catalog.TGI_DEFAULT_VERSION)
        if (
            self.max_input_tokens is not None
            and self.max_total_tokens is not None
            and self.max_input_tokens >= self.max_total_tokens
        ):
            raise ValueError(
                f"max_input_tokens ({self.max_input_tokens}) must be below max_total_tokens "
                f"({self.max_total_tokens})"
            )
        self._check_codec(self.effective_codec() if names.messages_api or self.codec else None)
        return self

    def effective_codec(self) -> Api:
        if self.effective_engine != "tgi":
            return engines.ENGINES[self.effective_engine].codec  # type: ignore[return-value]
        if self.codec:
            return self.codec
        names = catalog.tgi_env_names(self.tgi_version or catalog.TGI_DEFAULT_VERSION)
        return "tgi-messages" if names.messages_api else "tgi-generate"


class JumpStartEndpoint(_Hosted):
    kind: Literal["jumpstart"]
    # Either a curated model id (+ optional version) ...
    model_id: str | None = None
    version: str | None = None
    # ... or an explicit image and model data.
    image_uri: ImageUri | None = None
    model_data: S3Uri | None = None
    gated: bool = False
    # Gated models (Llama, ...) need their EULA accepted here, on purpose.
    accept_eula: bool = False

    @model_validator(mode="after")
    def _check_js(self) -> JumpStartEndpoint:
        if (self.model_id is None) == (self.image_uri is None):
            raise ValueError("give either model_id (a curated JumpStart model) or image_uri + model_data")
        if self.image_uri and not self.model_data:
            raise ValueError("image_uri needs model_data (the S3 location of the model)")
        if self.model_id is None and self.version is not None:
            raise ValueError("version applies only with model_id")
        if self.model_id is not None:
            if self.model_data is not None:
                raise ValueError("model_data comes from the curated spec; remove it or use image_uri")
            try:
                catalog.jumpstart_spec(self.model_id)
            except ValueError as err:
                raise ValueError(f"model_id: {err}") from None
            try:
                spec = catalog.jumpstart_spec(self.model_id, self.version)
            except ValueError as err:
                raise ValueError(f"version: {err}") from None
            gated = spec.gated
        else:
            gated = self.gated
        if gated and not self.accept_eula:
            raise ValueError(
                f"{self.model_id or 'this model'} is gated: read its license and set accept_eula to true "
                "to accept it (SageMaker passes the acceptance to the model)"
            )
        self._check_codec(self.effective_codec())
        return self

    def spec(self) -> catalog.JumpStartSpec | None:
        return catalog.jumpstart_spec(self.model_id, self.version) if self.model_id else None

    def effective_codec(self) -> Api:
        if self.codec:
            return self.codec
        spec = self.spec()
        return spec.codec if spec else "tgi-messages"  # type: ignore[return-value]

    @property
    def effective_prompt_format(self) -> PromptFormat | None:
        spec = self.spec()
        return self.prompt_format or (spec.prompt_format if spec else None)  # type: ignore[return-value]

    def _check_codec(self, codec: str | None) -> None:
        # A curated spec's codec brings its own prompt format.
        if codec == "tgi-generate" and self.effective_prompt_format is not None:
            return
        super()._check_codec(codec)


class CustomEndpoint(_Hosted):
    kind: Literal["custom"]
    image_uri: ImageUri
    # A .tar.gz archive, or a prefix ending in "/" of uncompressed files.
    model_data: S3Uri

    @model_validator(mode="after")
    def _check_custom(self) -> CustomEndpoint:
        key = self.model_data.removeprefix("s3://").partition("/")[2]
        if not (key.endswith(".tar.gz") or key.endswith("/")):
            raise ValueError(
                f"model_data {self.model_data!r} must be a .tar.gz object or a prefix ending in '/'"
            )
        self._check_codec(self.codec)
        return self


class CustomCodeEndpoint(_Hosted):
    kind: Literal["custom_code"]
    # Folder (relative to the config file) holding inference code, e.g. code/inference.py.
    code_dir: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    image_uri: ImageUri
    # Entry point inside code_dir that the DLC's inference toolkit loads.
    entry_point: Annotated[str, StringConstraints(pattern=r"^[\w./-]+\.py$")] = "inference.py"

    @model_validator(mode="after")
    def _check_code(self) -> CustomCodeEndpoint:
        # The folder itself is checked when the config is loaded (relative to the config file).
        self._check_codec(self.effective_codec())
        return self

    def effective_codec(self) -> Api:
        return self.codec or "content-handler"


class ExistingEndpoint(_Endpoint):
    kind: Literal["existing_endpoint"]
    endpoint_name: Annotated[str, StringConstraints(min_length=1, max_length=63)]
    region: Region | None = None
    # Account owning the endpoint; defaults to this deployment's account (or the role's account).
    account_id: Annotated[str, StringConstraints(pattern=r"^\d{12}$")] | None = None
    role_arn: RoleArn | None = None
    external_id: ExternalId | None = None
    endpoint_kwargs: EndpointKwargs | None = None
    # "embedding": a Text Embeddings Inference container (codec "tei-embed", the default then).
    task: Literal["chat", "embedding"] = "chat"

    @model_validator(mode="after")
    def _check_existing(self) -> ExistingEndpoint:
        if not _SAGEMAKER_NAME.match(self.endpoint_name):
            raise ValueError(
                f"endpoint_name {self.endpoint_name!r}: SageMaker endpoint names are letters, digits and "
                "hyphens, starting and ending with a letter or digit"
            )
        if self.external_id and not self.role_arn:
            raise ValueError("external_id is only used together with role_arn")
        if self.task == "embedding":
            if self.codec not in (None, "tei-embed"):
                raise ValueError("an embedding endpoint takes codec 'tei-embed' (Text Embeddings Inference)")
            return self
        if self.codec == "tei-embed":
            raise ValueError("codec 'tei-embed' serves embeddings: set task 'embedding'")
        self._check_codec(self.codec)
        return self

    def effective_codec(self) -> Api:
        return "tei-embed" if self.task == "embedding" else super().effective_codec()


SageMakerEndpoint = Annotated[
    HuggingFaceEndpoint | JumpStartEndpoint | CustomEndpoint | CustomCodeEndpoint | ExistingEndpoint,
    Field(discriminator="kind"),
]
HostedEndpoint = HuggingFaceEndpoint | JumpStartEndpoint | CustomEndpoint | CustomCodeEndpoint


class SageMakerSettings(StrictModel):
    huggingface_token: HuggingFaceToken | None = None
    endpoints: tuple[SageMakerEndpoint, ...] = ()
