"""The deployment config: one JSON file, one typed schema, one clear error per bad field.

Pure pydantic (no cdktf import), so validating a config costs well under a second and the
synth fails before it writes anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lambda_src.bedrock_ids import ModelIdError, parse_model_ref
from lambda_src.inventory import (
    BaseModelProvider,
    EndpointKwargs,
    Inventory,
    Limits,
    ModelSpec,
    PublicModelId,
    Task,
)
from lambda_src.openai_compatible import (
    Headers,
    KeyName,
    OpenAICompatibleConnection,
    ProviderName,
    base_url_problem,
)
from lambda_src.retired_providers import RETIRED
from modules import aws_limits, bedrock_catalog, bedrock_iam, provider_models, web_adapter
from modules import sagemaker_catalog as catalog
from modules import sagemaker_engines as engines
from modules.config_types import (
    CallerPrincipal,
    ExternalId,
    FoundationModelArn,
    KmsKeyArn,
    LayerArn,
    Origin,
    Prefix,
    PrincipalArn,
    Region,
    RoleArn,
    StrictModel,
    TagKey,
    TagValue,
)
from modules.cross_account_config import CrossAccountRole
from modules.function_url_access import MAX_CALLERS
from modules.lambda_contract import CORS_HEADERS, STREAM_IDLE_TIMEOUT_SECONDS
from modules.regions import partition_of
from modules.sagemaker_config import (
    HASH_SUFFIX_LEN,
    SAGEMAKER_NAME_MAX,
    CustomCodeEndpoint,
    ExistingEndpoint,
    HostedEndpoint,
    HuggingFaceEndpoint,
    JumpStartEndpoint,
    SageMakerEndpoint,
    SageMakerSettings,
)
from modules.web_adapter import InvokeMode

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "default.json"

# CloudWatch Logs accepts only these retention periods.
LogRetentionDays = Literal[
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
]


class LambdaSettings(StrictModel):
    architecture: Literal["arm64", "x86_64"] = "arm64"
    runtime: Literal["python3.12", "python3.13"] = "python3.12"
    memory_mb: int = Field(default=1024, ge=128, le=10240)
    # Streamed answers of long generations take minutes; the request's deadline answers 504
    # a second before this runs out.
    timeout_seconds: int = Field(default=300, ge=1, le=900)
    reserved_concurrency: int = Field(default=20, ge=1, le=10000)
    log_retention_days: LogRetentionDays = 365
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    inventory_cache_seconds: int = Field(default=300, ge=0, le=86400)
    # A streamed answer whose model sends nothing for this long ends with an error event.
    stream_idle_timeout_seconds: int = Field(default=STREAM_IDLE_TIMEOUT_SECONDS, ge=1, le=900)
    # The Lambda Web Adapter layer; defaults to the pinned one for the region and architecture.
    web_adapter_layer_arn: LayerArn | None = None

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")

    @property
    def stream_idle_seconds(self) -> int:
        """The idle timeout in force: the default shrinks to fit a short function timeout."""
        return max(1, min(self.stream_idle_timeout_seconds, self.timeout_seconds - 1))


class CorsSettings(StrictModel):
    allow_origins: tuple[Origin, ...] = Field(min_length=1, max_length=100)
    allow_headers: tuple[str, ...] = CORS_HEADERS
    max_age_seconds: int = Field(default=300, ge=0, le=86400)


class FunctionUrlSettings(StrictModel):
    auth_type: Literal["AWS_IAM", "NONE"] = "AWS_IAM"
    # RESPONSE_STREAM sends tokens as they come; BUFFERED answers once generation has finished.
    invoke_mode: InvokeMode = "RESPONSE_STREAM"
    # NONE makes the URL public; it must be asked for twice, on purpose.
    allow_unauthenticated: bool = False
    cors: CorsSettings | None = None
    # Principals (often in other accounts) granted both Function URL actions on the function.
    callers: tuple[CallerPrincipal, ...] = Field(default=(), max_length=MAX_CALLERS)

    @model_validator(mode="after")
    def _none_needs_opt_in(self) -> FunctionUrlSettings:
        if self.auth_type == "NONE" and not self.allow_unauthenticated:
            raise ValueError(
                "auth_type NONE makes the API public to anyone with the URL; "
                "set allow_unauthenticated to true to confirm, or keep AWS_IAM"
            )
        if self.auth_type == "NONE" and self.callers:
            raise ValueError(
                "callers: a NONE URL already admits everyone; callers apply to an AWS_IAM URL only"
            )
        if len(set(self.callers)) != len(self.callers):
            raise ValueError("callers: each principal may be listed once")
        return self


class BedrockModel(StrictModel):
    """A Bedrock model id, cross-region inference profile id, or model / profile ARN."""

    model_id: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    # Public id in /v1/models and in requests; defaults to model_id (ARNs need one).
    id: PublicModelId | None = None
    region: Region | None = None
    task: Task = "chat"
    # Model family, required for ARNs that do not carry it (custom, provisioned, imported, ...).
    base_model_provider: BaseModelProvider | None = None
    # Regions a cross-region profile routes to, where the pinned table does not fit.
    profile_regions: tuple[Region, ...] | None = Field(default=None, min_length=1)
    # For application inference profiles: the foundation models the profile was made from.
    foundation_model_arns: tuple[FoundationModelArn, ...] = ()
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    # A model in another account: the function assumes this role to call it.
    role_arn: RoleArn | None = None
    external_id: ExternalId | None = None
    # "invoke_model" sends the provider's native body, for models Converse cannot serve.
    api: Literal["converse", "invoke_model"] = "converse"

    @model_validator(mode="after")
    def _check(self) -> BedrockModel:
        if self.external_id and not self.role_arn:
            raise ValueError("external_id is only used together with role_arn")
        try:
            ref = parse_model_ref(self.model_id)
        except ModelIdError as err:
            raise ValueError(str(err)) from None
        if ref.is_arn and self.id is None:
            raise ValueError(f"model_id {self.model_id!r} is an ARN: give the model a public 'id'")
        if ref.provider is None and self.base_model_provider is None:
            raise ValueError(
                f"model_id {self.model_id!r} ({ref.kind}) does not say which model family it is: "
                "set base_model_provider (lower case, e.g. 'anthropic', 'meta', 'amazon')"
            )
        if ref.provider and self.base_model_provider and ref.provider != self.base_model_provider:
            raise ValueError(
                f"base_model_provider {self.base_model_provider!r} contradicts model_id "
                f"{self.model_id!r} (provider {ref.provider!r})"
            )
        if ref.kind == "application-inference-profile" and not self.foundation_model_arns:
            raise ValueError(
                "an application inference profile needs foundation_model_arns: the "
                "foundation-model ARNs it routes to (invoking it needs permission on each)"
            )
        if ref.kind != "application-inference-profile" and self.foundation_model_arns:
            raise ValueError("foundation_model_arns applies only to application inference profiles")
        if self.profile_regions and ref.kind != "inference-profile":
            raise ValueError("profile_regions applies only to cross-region inference profiles")
        if ref.is_arn and self.region and ref.region != self.region:
            raise ValueError(f"region {self.region!r} contradicts the ARN's region {ref.region!r}")
        return self

    @property
    def public_id(self) -> str:
        return self.id or self.model_id


MarketplaceProductId = Annotated[str, StringConstraints(pattern=r"^prod-[a-z0-9]{10,20}$")]


class BedrockSettings(StrictModel):
    # Region the Lambda calls Bedrock in; defaults to the deployment region.
    region: Region | None = None
    models: tuple[BedrockModel, ...] = ()
    # Let the function's own first call subscribe the account to a third-party model through AWS
    # Marketplace (off: an operator subscribes once with scripts/preflight --subscribe).
    grant_marketplace_subscribe: bool = False
    # Product ids for models the pinned table (modules/bedrock_catalog.py) does not know yet.
    marketplace_product_ids: tuple[MarketplaceProductId, ...] = Field(default=(), max_length=50)

    @model_validator(mode="after")
    def _product_ids_need_the_grant(self) -> BedrockSettings:
        if self.marketplace_product_ids and not self.grant_marketplace_subscribe:
            raise ValueError("marketplace_product_ids apply only with grant_marketplace_subscribe: true")
        return self


class S3State(StrictModel):
    """Remote state for pipelines: one object per stack, ``<key_prefix>/<stack>.tfstate``."""

    bucket: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    key_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.*'()/-]{1,512}$")] = (
        "llm-inference-api"
    )
    region: Region
    # "s3": S3-native lock files (Terraform 1.10+); "dynamodb": a lock table (older Terraform).
    locking: Literal["s3", "dynamodb"] = "s3"
    dynamodb_table: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,255}$")] | None = None
    kms_key_arn: KmsKeyArn | None = None

    @model_validator(mode="after")
    def _locking(self) -> S3State:
        if self.locking == "dynamodb" and not self.dynamodb_table:
            raise ValueError("locking 'dynamodb' needs dynamodb_table (the lock table's name)")
        if self.locking == "s3" and self.dynamodb_table:
            raise ValueError("dynamodb_table applies only with locking 'dynamodb'")
        return self


class StateSettings(StrictModel):
    s3: S3State


ThirdPartyModelName = Annotated[
    str, StringConstraints(min_length=1, max_length=256, pattern=r"^[\w.:/@+-]+$")
]


class ThirdPartyModel(StrictModel):
    model: ThirdPartyModelName
    # Public id; defaults to the model name.
    id: PublicModelId | None = None
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)

    @property
    def public_id(self) -> str:
        return self.id or self.model


class ThirdPartyProvider(StrictModel):
    """A provider reached with a key from the API-keys secret; models as names or objects."""

    models: tuple[ThirdPartyModelName | ThirdPartyModel, ...] = Field(min_length=1, max_length=50)

    def entries(self) -> list[ThirdPartyModel]:
        return [m if isinstance(m, ThirdPartyModel) else ThirdPartyModel(model=m) for m in self.models]


# Validation context key: the config is read by scripts/serve, which may reach loopback servers.
LOCAL_SERVER = "local_server"


class OpenAICompatibleProvider(ThirdPartyProvider):
    """Any OpenAI-compatible chat API: vLLM, TGI, DeepSeek, Groq, Together, Fireworks, xAI, Gemini, ..."""

    # Names the provider in messages, logs and /v1/models' owned_by.
    name: ProviderName
    # https://host[:port][/path], up to the /chat/completions the client adds (e.g. .../v1).
    base_url: Annotated[str, StringConstraints(max_length=2048)]
    # The key's name in the API-keys secret; sent as "Authorization: Bearer <key>".
    api_key_name: KeyName
    # Extra request headers without credentials (e.g. an organization or routing header).
    headers: Headers = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _https(cls, url: str, info: ValidationInfo) -> str:
        allow_loopback = bool(info.context and info.context.get(LOCAL_SERVER))
        problem = base_url_problem(url, allow_loopback=allow_loopback)
        if problem:
            raise ValueError(f"{url!r}: {problem}")
        return url

    def connection(self) -> OpenAICompatibleConnection:
        return OpenAICompatibleConnection(
            name=self.name, base_url=self.base_url, api_key_name=self.api_key_name, headers=self.headers
        )


class AzureOpenAI(StrictModel):
    """Deployments are described in the API-keys secret (AZURE_OPENAI_MODELS and per-model keys)."""

    enabled: Literal[True] = True


class ThirdPartySettings(StrictModel):
    openai: ThirdPartyProvider | None = None
    azure_openai: AzureOpenAI | None = None
    cohere: ThirdPartyProvider | None = None
    # Refused with the reason (lambda_src.retired_providers); kept as a field for that message.
    ai21: Any = None
    anthropic: ThirdPartyProvider | None = None
    mistral: ThirdPartyProvider | None = None
    openai_compatible: tuple[OpenAICompatibleProvider, ...] = Field(default=(), max_length=20)

    @field_validator("ai21")
    @classmethod
    def _retired(cls, value: Any) -> Any:
        raise ValueError(RETIRED["ai21"])

    @field_validator("openai_compatible")
    @classmethod
    def _distinct_names(
        cls, entries: tuple[OpenAICompatibleProvider, ...]
    ) -> tuple[OpenAICompatibleProvider, ...]:
        names = [e.name for e in entries]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"each provider needs its own name; repeated: {', '.join(repeated)}")
        return entries

    @property
    def enabled(self) -> tuple[str, ...]:
        return tuple(name for name in type(self).model_fields if getattr(self, name) not in (None, ()))

    def models(self) -> list[tuple[str, ThirdPartyModel]]:
        out = []
        for name in self.enabled:
            provider = getattr(self, name)
            if isinstance(provider, ThirdPartyProvider):
                out += [(name, m) for m in provider.entries()]
        return out


# Days the API-keys secret stays recoverable after a destroy, by stage, unless configured: a dev
# stage is destroyed and created again under the same name; production keys are worth keeping.
KEYS_RECOVERY_WINDOW_DAYS = {"dev": 0, "prod": 30}


class ApiKeysSettings(StrictModel):
    """The API-keys secret."""

    # Days Secrets Manager keeps the secret after a destroy before deleting it for good (0: at
    # once, so the same prefix can be deployed again right away). None: 0 in dev, 30 in prod.
    recovery_window_days: int | None = None

    @field_validator("recovery_window_days")
    @classmethod
    def _window(cls, days: int | None) -> int | None:
        if days is not None and days != 0 and not 7 <= days <= 30:
            raise ValueError(f"Secrets Manager takes 0 (delete at once) or 7 to 30 days, not {days}")
        return days


class Quotas(StrictModel):
    """Adjustable AWS quotas of the account, where they were raised above their defaults."""

    # IAM "Managed policies per role": the function role's permissions are split over that many.
    managed_policies_per_role: int = Field(
        default=aws_limits.MANAGED_POLICIES_PER_ROLE,
        ge=aws_limits.MANAGED_POLICIES_PER_ROLE,
        le=aws_limits.MANAGED_POLICIES_PER_ROLE_MAX,
    )
    # IAM "Role trust policy length", in characters.
    role_trust_policy_chars: int = Field(
        default=aws_limits.TRUST_POLICY_MAX,
        ge=aws_limits.TRUST_POLICY_MAX,
        le=aws_limits.TRUST_POLICY_MAX_ADJUSTED,
    )


class OverrideSettings(StrictModel):
    """Runtime overrides (custom model specs in requests): admins in a dev stage only."""

    # Roles a custom spec may assume; also bounds the function role's sts:AssumeRole.
    allowed_role_arns: tuple[RoleArn, ...] = Field(default=(), max_length=20)


class DeploymentConfig(StrictModel):
    prefix: Prefix
    region: Region
    # Anything but an explicit "dev" is treated as production.
    stage: Literal["dev", "prod"] = "prod"
    lambda_: LambdaSettings = Field(default_factory=LambdaSettings, alias="lambda")
    function_url: FunctionUrlSettings = Field(default_factory=FunctionUrlSettings)
    admin_principals: tuple[PrincipalArn, ...] = ()
    bedrock: BedrockSettings = Field(default_factory=BedrockSettings)
    sagemaker: SageMakerSettings = Field(default_factory=SageMakerSettings)
    # A second stack, deployed in a model-hosting account, with a role this API may assume.
    cross_account_role: CrossAccountRole | None = None
    # Third-party providers through LangChain, keys in the API-keys secret.
    third_party: ThirdPartySettings = Field(default_factory=ThirdPartySettings)
    overrides: OverrideSettings = Field(default_factory=OverrideSettings)
    api_keys: ApiKeysSettings = Field(default_factory=ApiKeysSettings)
    quotas: Quotas = Field(default_factory=Quotas)
    # Where cdktf deploy keeps state: a local file by default, or S3 for pipelines.
    state: StateSettings | None = None
    # Log prompts and completions (off: they may hold personal or confidential data).
    log_prompts: bool = False
    tags: dict[TagKey, TagValue] = Field(default_factory=dict, max_length=40)

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @field_validator("prefix")
    @classmethod
    def _prefix_fits(cls, prefix: str) -> str:
        for name in resource_names(prefix).values():
            excess = len(name.value) - name.limit
            if excess > 0:
                raise ValueError(
                    f"prefix {prefix!r} is too long: it makes the {name.what} {name.value!r} "
                    f"{len(name.value)} characters, over the limit of {name.limit}; "
                    f"use at most {len(prefix) - excess} characters"
                )
        return prefix

    @model_validator(mode="after")
    def _check(self) -> DeploymentConfig:
        if self.overrides.allowed_role_arns and self.stage != "dev":
            raise ValueError(
                'overrides.allowed_role_arns: runtime overrides exist only when stage is "dev"; '
                f"with stage {self.stage!r} the allow-list must be empty"
            )
        seen: dict[str, str] = {}
        for where, public_id in self._public_ids():
            if public_id in seen:
                raise ValueError(f"{where}: model id {public_id!r} is already used by {seen[public_id]}")
            seen[public_id] = where
        for i, model in enumerate(self.bedrock.models):
            ref = parse_model_ref(model.model_id)
            region = self.bedrock_region_of(model)
            if ref.partition and ref.partition != partition_of(region):
                raise ValueError(f"bedrock.models[{i}]: ARN partition does not match region {region!r}")
            try:
                bedrock_iam.check_profile_region(ref, region, model.profile_regions)
            except ValueError as err:
                raise ValueError(f"bedrock.models[{i}]: {err}") from None
        if self.bedrock.grant_marketplace_subscribe:
            self.marketplace_product_ids()
        if self.web_adapter_layer_arn() is None:
            raise ValueError(
                f"lambda.web_adapter_layer_arn: the Lambda Web Adapter layer is not published for "
                f"{self.lambda_.architecture} in {self.region} (pinned table of {web_adapter.CHECKED}); "
                "set lambda.web_adapter_layer_arn to a copy of the layer (version "
                f"{web_adapter.VERSION}) published in your account"
            )
        override = self.lambda_.web_adapter_layer_arn
        if override and override.split(":")[3] != self.region:
            raise ValueError(
                f"lambda.web_adapter_layer_arn: the layer is in {override.split(':')[3]}; a function "
                f"takes layers of its own region ({self.region})"
            )
        lam = self.lambda_
        if (
            "stream_idle_timeout_seconds" in lam.model_fields_set
            and lam.stream_idle_timeout_seconds >= lam.timeout_seconds
        ):
            raise ValueError(
                f"lambda.stream_idle_timeout_seconds ({self.lambda_.stream_idle_timeout_seconds}) must be "
                f"below lambda.timeout_seconds ({self.lambda_.timeout_seconds})"
            )
        self._check_tags()
        if any(isinstance(ep, CustomCodeEndpoint) for ep in self.sagemaker.endpoints):
            aws_limits.check_name(
                self.model_artifacts_bucket_prefix,
                aws_limits.S3_BUCKET_PREFIX_MAX,
                field="prefix",
                what="bucket name prefix of the custom_code model archives",
            )
        names: dict[str, int] = {}
        for i, ep in enumerate(self.sagemaker.endpoints):
            if isinstance(ep, ExistingEndpoint):
                continue
            where = f"sagemaker.endpoints[{i}].name"
            if ep.name in names:
                raise ValueError(
                    f"{where}: {ep.name!r} is already used by sagemaker.endpoints[{names[ep.name]}]"
                )
            names[ep.name] = i
            longest = len(self.prefix) + 1 + len(ep.name) + HASH_SUFFIX_LEN
            if longest > SAGEMAKER_NAME_MAX:
                raise ValueError(
                    f"{where}: {ep.name!r} makes the SageMaker model and endpoint-config names "
                    f"'{self.prefix}-{ep.name}-<8-character hash>' {longest} characters; SageMaker allows "
                    f"{SAGEMAKER_NAME_MAX}, so with prefix {self.prefix!r} the name may have at most "
                    f"{SAGEMAKER_NAME_MAX - len(self.prefix) - 1 - HASH_SUFFIX_LEN} characters"
                )
            if isinstance(ep, HuggingFaceEndpoint):
                try:
                    if ep.effective_engine == "tgi":
                        catalog.tgi_image_uri(self.region, ep.tgi_version)
                    else:
                        engines.image(ep.effective_engine, self.region, ep.engine_settings.version)
                except ValueError as err:
                    raise ValueError(f"sagemaker.endpoints[{i}]: {err}") from None
            if isinstance(ep, JumpStartEndpoint) and (spec := ep.spec()):
                try:
                    catalog.jumpstart_image_uri(spec, self.region)
                except ValueError as err:
                    raise ValueError(f"sagemaker.endpoints[{i}]: {err}") from None
            image = getattr(ep, "image_uri", None)
            if image and (image_region := image.split(".")[3]) != self.region:
                raise ValueError(
                    f"sagemaker.endpoints[{i}].image_uri: the image is in {image_region}; SageMaker pulls "
                    f"images from the endpoint's region ({self.region})"
                )
        return self

    @property
    def default_tags(self) -> dict[str, str]:
        """Tags the provider puts on every resource."""
        return {"Project": self.prefix, "Stage": self.stage, **self.tags}

    @property
    def model_artifacts_bucket_prefix(self) -> str:
        return f"{self.prefix}-models-"

    @property
    def api_keys_recovery_window_days(self) -> int:
        configured = self.api_keys.recovery_window_days
        return KEYS_RECOVERY_WINDOW_DAYS[self.stage] if configured is None else configured

    def _check_tags(self) -> None:
        _no_reserved_tags(self.tags, "tags")
        defaults = self.default_tags
        aws_limits.check_tag_count(len(defaults), field="tags", what="every resource")
        for i, ep in enumerate(self.sagemaker.endpoints):
            tags = getattr(ep, "tags", {})
            _no_reserved_tags(tags, f"sagemaker.endpoints[{i}].tags")
            aws_limits.check_tag_count(
                len(defaults | tags), field=f"sagemaker.endpoints[{i}].tags", what="the endpoint's resources"
            )

    def marketplace_product_ids(self) -> tuple[str, ...]:
        """Product ids the function role may subscribe to (grant_marketplace_subscribe only)."""
        ids = list(self.bedrock.marketplace_product_ids)
        unknown = []
        for i, model in enumerate(self.bedrock.models):
            ref = parse_model_ref(model.model_id)
            if model.role_arn or ref.base_model_id is None:
                continue  # another account's role, or an owned model: nothing to subscribe to here
            if (product := bedrock_catalog.MARKETPLACE_PRODUCT_IDS.get(ref.base_model_id)) is not None:
                ids.append(product)
            elif bedrock_catalog.needs_subscription(ref.provider):
                unknown.append(f"bedrock.models[{i}] ({ref.base_model_id})")
        if unknown and not self.bedrock.marketplace_product_ids:
            raise ValueError(
                "bedrock.grant_marketplace_subscribe: no AWS Marketplace product id is pinned for "
                + ", ".join(unknown)
                + "; add them to bedrock.marketplace_product_ids (the model card in the Bedrock console "
                "shows it), or subscribe once with scripts/preflight --subscribe instead"
            )
        return tuple(dict.fromkeys(ids))

    def web_adapter_layer_arn(self) -> str | None:
        """The configured layer, else the pinned one; None where neither applies."""
        lam = self.lambda_
        return lam.web_adapter_layer_arn or web_adapter.layer_arn(self.region, lam.architecture)

    def lifecycle_notes(self) -> list[str]:
        """Configured Bedrock models past ACTIVE in the pinned lifecycle table, and third-party
        model names their provider retired or deprecated."""
        notes = []
        for i, model in enumerate(self.bedrock.models):
            base = parse_model_ref(model.model_id).base_model_id
            if base and (note := bedrock_catalog.lifecycle_note(base)):
                notes.append(f"bedrock.models[{i}]: {note}")
        counters: dict[str, int] = {}
        for provider, m in self.third_party.models():
            i = counters[provider] = counters.get(provider, -1) + 1
            if note := provider_models.retired_note(provider, m.model):
                notes.append(f"third_party.{provider}.models[{i}]: {note}")
        return notes

    def engine_notes(self) -> list[str]:
        """Endpoints on the legacy TGI engine (also where ``engine`` is left out)."""
        return [
            f"sagemaker.endpoints[{i}] ({ep.name!r}): engine 'tgi' is legacy: Hugging Face put Text "
            "Generation Inference in maintenance mode on 2025-12-11 and archived it on 2026-03-21, so "
            "new model architectures will not be added. Move to engine 'vllm' (README: Migrating a TGI "
            "endpoint)" + ("; without 'engine' the endpoint stays on TGI" if ep.engine is None else "")
            for i, ep in enumerate(self.sagemaker.endpoints)
            if isinstance(ep, HuggingFaceEndpoint) and ep.effective_engine == "tgi"
        ]

    def jumpstart_notes(self) -> list[str]:
        """Curated JumpStart endpoints whose entry, at its last check, was behind JumpStart's current
        release or could not be confirmed as offered."""
        return [
            f"sagemaker.endpoints[{i}] ({ep.name!r}): {note}"
            for i, ep in enumerate(self.sagemaker.endpoints)
            if isinstance(ep, JumpStartEndpoint)
            and (spec := ep.spec()) is not None
            and (note := catalog.jumpstart_note(spec)) is not None
        ]

    def _public_ids(self) -> Iterator[tuple[str, str]]:
        for i, model in enumerate(self.bedrock.models):
            yield f"bedrock.models[{i}]", model.public_id
        for i, ep in enumerate(self.sagemaker.endpoints):
            yield f"sagemaker.endpoints[{i}]", ep.public_id
        counters: dict[str, int] = {}
        for provider, m in self.third_party.models():
            i = counters[provider] = counters.get(provider, -1) + 1
            yield f"third_party.{provider}.models[{i}]", m.public_id
        for n, entry in enumerate(self.third_party.openai_compatible):
            for i, m in enumerate(entry.entries()):
                yield f"third_party.openai_compatible[{n}].models[{i}]", m.public_id

    @property
    def hosted_endpoints(self) -> list[HostedEndpoint]:
        return [ep for ep in self.sagemaker.endpoints if not isinstance(ep, ExistingEndpoint)]

    def endpoint_name(self, ep: HostedEndpoint) -> str:
        return f"{self.prefix}-{ep.name}"

    def bedrock_region_of(self, model: BedrockModel) -> str:
        if model.region:
            return model.region
        ref = parse_model_ref(model.model_id)
        return ref.region or self.bedrock.region or self.region

    @property
    def names(self) -> dict[str, ResourceName]:
        return resource_names(self.prefix)

    def inventory(self) -> Inventory:
        specs = [
            ModelSpec(
                id=m.public_id,
                provider="bedrock",
                model=m.model_id,
                task=m.task,
                region=self.bedrock_region_of(m),
                base_model_provider=m.base_model_provider or parse_model_ref(m.model_id).provider,  # type: ignore[arg-type]
                role_arn=m.role_arn,
                external_id=m.external_id,
                api=None if m.api == "converse" else m.api,
                limits=Limits(max_tokens=m.max_tokens),
            )
            for m in self.bedrock.models
        ]
        specs += [self._endpoint_spec(ep) for ep in self.sagemaker.endpoints]
        specs += [
            ModelSpec(
                id=m.public_id,
                provider=provider,  # type: ignore[arg-type]
                model=m.model,
                limits=Limits(max_tokens=m.max_tokens),
            )
            for provider, m in self.third_party.models()
        ]
        specs += [
            ModelSpec(
                id=m.public_id,
                provider="openai_compatible",
                model=m.model,
                connection=entry.connection(),
                limits=Limits(max_tokens=m.max_tokens),
            )
            for entry in self.third_party.openai_compatible
            for m in entry.entries()
        ]
        return Inventory(
            models=tuple(specs),
            third_party_providers=self.third_party.enabled,  # type: ignore[arg-type]
        )

    def _endpoint_spec(self, ep: SageMakerEndpoint) -> ModelSpec:
        common = {
            "id": ep.public_id,
            "provider": "sagemaker",
            "api": ep.effective_codec(),
            "prompt_format": ep.prompt_format,
            "content_handler": ep.content_handler,
            "limits": Limits(max_tokens=ep.max_tokens),
            "task": ep.task if isinstance(ep, HuggingFaceEndpoint | ExistingEndpoint) else "chat",
        }
        if isinstance(ep, ExistingEndpoint):
            return ModelSpec(
                model=ep.endpoint_name,
                region=ep.region or self.region,
                role_arn=ep.role_arn,
                external_id=ep.external_id,
                endpoint_kwargs=ep.endpoint_kwargs,
                **common,  # type: ignore[arg-type]
            )
        kwargs = None
        if isinstance(ep, JumpStartEndpoint):
            common["prompt_format"] = ep.effective_prompt_format
            if ep.effective_codec() == "jumpstart-llama2-chat":
                # JumpStart's Llama 2 containers refuse requests without the EULA attribute.
                kwargs = EndpointKwargs(custom_attributes="accept_eula=true")
        return ModelSpec(model=self.endpoint_name(ep), region=self.region, endpoint_kwargs=kwargs, **common)  # type: ignore[arg-type]


def _no_reserved_tags(tags: dict[str, str], field: str) -> None:
    for key in tags:
        if key.lower().startswith("aws:"):
            raise ValueError(f"{field}: {key!r}: tag keys starting with 'aws:' are reserved for AWS")


class ResourceName(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str
    limit: int
    what: str


def resource_names(prefix: str) -> dict[str, ResourceName]:
    """Every name the prefix feeds, with the limit of the service that owns it."""
    function = f"{prefix}-inference-api"
    return {
        "function": ResourceName(value=function, limit=64, what="Lambda function name"),
        "role": ResourceName(value=function, limit=64, what="IAM role name"),
        "policy": ResourceName(value=f"{function}-access", limit=128, what="IAM policy name"),
        "log_group": ResourceName(value=f"/aws/lambda/{function}", limit=512, what="log group name"),
        "secret": ResourceName(value=f"{prefix}/api-keys", limit=512, what="secret name"),
        # The function role's managed policies: "-access-<n>", n up to 20.
        "managed_policy": ResourceName(
            value=f"{function}-access-{aws_limits.MANAGED_POLICIES_PER_ROLE_MAX}",
            limit=aws_limits.POLICY_NAME_MAX,
            what="IAM managed policy name",
        ),
        "sagemaker_role": ResourceName(value=f"{prefix}-sagemaker", limit=64, what="SageMaker role name"),
        "layer": ResourceName(
            value=f"{prefix}-providers", limit=aws_limits.LAMBDA_LAYER_NAME_MAX, what="Lambda layer name"
        ),
    }


class ConfigError(Exception):
    """A config file that cannot be used; ``str()`` is the message for the user."""


def load_config(path: str | Path, *, local_server: bool = False) -> DeploymentConfig:
    """The validated config; ``local_server`` (scripts/serve) admits http base URLs on loopback."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read config file: {err.strerror or err}") from None
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"{path}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a JSON object, not {type(data).__name__}")
    data.pop("$schema", None)
    try:
        # Validate in JSON mode: strict about types, and arrays may fill tuple fields.
        config = DeploymentConfig.model_validate_json(json.dumps(data), context={LOCAL_SERVER: local_server})
    except ValidationError as err:
        raise ConfigError("\n".join(f"{path}: {line}" for line in describe_errors(err))) from None
    problems = list(_check_paths(config, path.resolve().parent))
    if problems:
        raise ConfigError("\n".join(f"{path}: {line}" for line in problems))
    return config


def _check_paths(config: DeploymentConfig, base: Path) -> Iterator[str]:
    """Local folders named in the config exist and hold what they must (relative to the file)."""
    for i, ep in enumerate(config.sagemaker.endpoints):
        if not isinstance(ep, CustomCodeEndpoint):
            continue
        where = f"sagemaker.endpoints[{i}].code_dir"
        folder = (base / ep.code_dir).resolve()
        if not folder.is_dir():
            yield f"{where}: folder {ep.code_dir!r} (resolved to {folder}) does not exist"
        elif not (folder / ep.entry_point).is_file():
            yield f"{where}: {ep.code_dir!r} has no {ep.entry_point} (set entry_point to its script)"


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at ``loc`` (for listing allowed keys)."""
    from typing import get_args, get_origin

    current: Any = DeploymentConfig
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None:
            return None
        field = next((f for n, f in fields.items() if part in (n, f.alias)), None)
        if field is None:
            return None
        ann = field.annotation
        # Unwrap Optional[...] / tuple[...] down to a model class.
        while get_origin(ann) is not None:
            args = [a for a in get_args(ann) if a is not type(None) and a is not Ellipsis]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            ann = models[0] if models else (args[0] if args else None)
        current = ann
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _allowed_keys(model: type[BaseModel]) -> str:
    return ", ".join(f.alias or n for n, f in model.model_fields.items())


def describe_errors(err: ValidationError) -> Iterator[str]:
    """One line per problem: field path, what is wrong, what is allowed."""
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        kind = e["type"]
        if not loc:  # whole-config checks name their fields in the message
            yield e["msg"].removeprefix("Value error, ")
            continue
        path = _field_path(loc)
        if kind == "extra_forbidden":
            owner = _model_at(loc[:-1])
            allowed = f"; allowed fields here: {_allowed_keys(owner)}" if owner else ""
            yield f"{path}: unknown field{allowed}"
            continue
        if kind == "missing":
            yield f"{path}: required field is missing"
            continue
        msg = e["msg"].removeprefix("Value error, ")
        got = e.get("input")
        shown = ""
        # Our own value errors already quote the value; pydantic's built-in ones do not.
        if kind != "value_error" and not isinstance(got, dict | list) and "input" in e:
            shown = f" (got {json.dumps(got)})"
        yield f"{path}: {msg}{shown}"
