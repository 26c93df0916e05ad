"""A deployment config built one answer at a time, each answer checked by the config schema itself.

Every change is tried on a copy and validated as a whole config (with placeholders for required
fields not answered yet), so a refused answer carries exactly the message the synth would print,
and the draft is valid after every accepted answer.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from lambda_src.adapters.third_party import PROVIDER_KEYS as RUNTIME_KEYS
from lambda_src.azure_deployments import FIELDS as AZURE_FIELDS
from lambda_src.azure_deployments import MODELS_KEY as AZURE_MODELS_KEY
from lambda_src.azure_deployments import key_name as azure_key
from lambda_src.openai_compatible import PROVIDER as OPENAI_COMPATIBLE
from lambda_src.retired_providers import RETIRED
from modules import sagemaker_catalog as catalog
from modules.config import DeploymentConfig, ThirdPartySettings, describe_errors
from modules.sagemaker_config import HASH_SUFFIX_LEN, SAGEMAKER_NAME_MAX

# Used only while validating, for required fields not answered yet; never written.
_PLACEHOLDERS = {"prefix": "llm", "region": "us-east-1"}
_NAME_MAX = 50  # EndpointShortName's own limit
# JumpStart ids carry their catalog's family; the endpoint name does not need it.
_JUMPSTART_NAME_PREFIXES = ("meta-textgeneration-", "huggingface-llm-", "huggingface-textgeneration-")

# The third_party section's providers, as the schema spells them; one older spelling still accepted.
# What PROVIDER[:MODEL,...] can enable. openai_compatible entries (base URL, key name) are written
# in the config by hand; a retired provider is left to the schema, which says why it is refused.
PROVIDERS: tuple[str, ...] = tuple(
    p for p in ThirdPartySettings.model_fields if p not in RETIRED and p != OPENAI_COMPATIBLE
)
_PROVIDER_ALIASES = {"azure-openai": "azure_openai"}
AZURE = "azure_openai"
# An Azure model name used only to show the per-model key names of the API-keys secret.
AZURE_EXAMPLE_MODEL = "Model1"


def provider_name(name: str) -> str:
    """``name`` as the schema spells it (aliases resolved); unknown names are left for the schema."""
    name = name.strip()
    return _PROVIDER_ALIASES.get(name, name)


def secret_keys(provider: str, azure_model: str = AZURE_EXAMPLE_MODEL) -> tuple[str, ...]:
    """The keys the runtime reads from the API-keys secret for ``provider`` (Azure: for one model)."""
    if provider == AZURE:
        return (AZURE_MODELS_KEY, *(azure_key(f, azure_model) for f in AZURE_FIELDS))
    return (RUNTIME_KEYS[provider].api_key,)


def optional_secret_keys(provider: str) -> tuple[str, ...]:
    info = RUNTIME_KEYS.get(provider)
    return (info.base_url_key,) if info else ()


class Refused(ValueError):
    """An answer the schema refuses; ``str()`` holds the reasons, one per line."""


def schema_errors(data: dict[str, Any]) -> list[str]:
    """The synth's own messages for ``data`` (field path: what is wrong, what is allowed)."""
    try:
        DeploymentConfig.model_validate_json(json.dumps(data))
    except ValidationError as err:
        return list(describe_errors(err))
    return []


def parse_bedrock_model(spec: str) -> dict[str, Any]:
    """``MODEL_ID``, ``PUBLIC_ID=MODEL_ID`` or a JSON object of one ``bedrock.models[]`` entry."""
    spec = spec.strip()
    if spec.startswith("{"):
        try:
            entry = json.loads(spec)
        except ValueError as err:
            raise Refused(f"{spec!r} is not a JSON object: {err}") from None
        if not isinstance(entry, dict):
            raise Refused(f"{spec!r} is not a JSON object")
        return entry
    public_id, sep, model_id = spec.rpartition("=")
    if not sep:
        return {"model_id": spec}
    if not public_id or not model_id:
        raise Refused(f"{spec!r}: expected MODEL_ID or PUBLIC_ID=MODEL_ID")
    return {"id": public_id, "model_id": model_id}


def parse_sagemaker_model(spec: str) -> tuple[str, str, str | None]:
    """``MODEL_ID:INSTANCE_TYPE[:NAME]`` -> (model id, instance type, name or None)."""
    parts = spec.strip().split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise Refused(
            f"{spec!r}: expected MODEL_ID:INSTANCE_TYPE[:NAME] "
            "(e.g. mistralai/Mistral-7B-Instruct-v0.3:ml.g5.2xlarge)"
        )
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def parse_model_entry(spec: str) -> str | dict[str, str]:
    """``MODEL`` or ``PUBLIC_ID=MODEL`` -> one ``third_party.<provider>.models[]`` entry."""
    spec = spec.strip()
    public_id, sep, model = spec.partition("=")
    if not sep:
        return spec
    if not public_id.strip() or not model.strip():
        raise Refused(f"{spec!r}: expected MODEL or PUBLIC_ID=MODEL")
    public_id, model = public_id.strip(), model.strip()
    return model if public_id == model else {"id": public_id, "model": model}


def parse_model_list(value: str) -> list[str | dict[str, str]]:
    """Comma-separated ``MODEL`` / ``PUBLIC_ID=MODEL`` entries."""
    return [parse_model_entry(part) for part in value.split(",") if part.strip()]


def parse_third_party(spec: str) -> tuple[str, list[str | dict[str, str]] | None]:
    """``PROVIDER[:MODEL[,MODEL...]]`` -> (provider as the schema spells it, entries or None)."""
    provider, sep, models = spec.strip().partition(":")
    entries = parse_model_list(models) if sep else None
    if not provider.strip() or (sep and not entries):
        raise Refused(
            f"{spec!r}: expected PROVIDER[:MODEL[,MODEL...]] (e.g. openai:gpt-4o-mini,gpt-big=gpt-4.1)"
        )
    return provider_name(provider), entries


def is_jumpstart(model_id: str) -> bool:
    return model_id in catalog.jumpstart_model_ids()


class ConfigDraft:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    # --- validation ------------------------------------------------------------------------------------

    def _with_placeholders(self, data: dict[str, Any]) -> dict[str, Any]:
        return {**_PLACEHOLDERS, **data}

    def _apply(self, change: dict[str, Any]) -> None:
        """Commit ``change`` (a whole new data dict) if the schema accepts it, else raise Refused."""
        errors = schema_errors(self._with_placeholders(change))
        if errors:
            raise Refused("\n".join(errors))
        self.data = change

    def _copy(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)

    @property
    def prefix(self) -> str:
        return str(self.data.get("prefix", _PLACEHOLDERS["prefix"]))

    @property
    def region(self) -> str:
        return str(self.data.get("region", _PLACEHOLDERS["region"]))

    # --- answers ---------------------------------------------------------------------------------------

    def set_scalar(self, key: str, value: str) -> None:
        data = self._copy()
        data[key] = value
        self._apply(data)

    def set_bedrock_region(self, region: str) -> None:
        data = self._copy()
        data.setdefault("bedrock", {})["region"] = region
        self._apply(data)

    def add_bedrock_model(self, entry: dict[str, Any]) -> None:
        data = self._copy()
        data.setdefault("bedrock", {}).setdefault("models", []).append(entry)
        self._apply(data)

    def bedrock_models(self) -> list[dict[str, Any]]:
        return list(self.data.get("bedrock", {}).get("models", []))

    def set_bedrock_role(self, role_arn: str, external_id: str | None) -> None:
        """The role in another account the function assumes for every Bedrock model of the draft."""
        if not self.bedrock_models():
            raise Refused("there are no Bedrock models to assume the role for")
        data = self._copy()
        for entry in data.get("bedrock", {}).get("models", []):
            entry["role_arn"] = role_arn
            if external_id:
                entry["external_id"] = external_id
        self._apply(data)

    def endpoint_entry(
        self, model_id: str, instance_type: str, name: str | None = None, *, accept_eula: bool = False
    ) -> dict[str, Any]:
        """A ``sagemaker.endpoints[]`` entry: JumpStart for a curated JumpStart id, else Hugging Face
        on vLLM (new configs name the engine; a config without one keeps TGI, the legacy engine)."""
        name = name or self.endpoint_name(model_id)
        if not is_jumpstart(model_id):
            return {
                "kind": "huggingface",
                "name": name,
                "engine": "vllm",
                "hf_model_id": model_id,
                "instance_type": instance_type,
            }
        entry = {"kind": "jumpstart", "name": name, "model_id": model_id, "instance_type": instance_type}
        return {**entry, "accept_eula": True} if accept_eula else entry

    def check_endpoint(self, entry: dict[str, Any]) -> None:
        """Raise Refused if adding ``entry`` would make the config invalid (nothing is committed)."""
        data = self._copy()
        data.setdefault("sagemaker", {}).setdefault("endpoints", []).append(entry)
        errors = schema_errors(self._with_placeholders(data))
        if errors:
            raise Refused("\n".join(errors))

    def add_endpoint(self, entry: dict[str, Any]) -> None:
        data = self._copy()
        data.setdefault("sagemaker", {}).setdefault("endpoints", []).append(entry)
        self._apply(data)

    def endpoints(self) -> list[dict[str, Any]]:
        return list(self.data.get("sagemaker", {}).get("endpoints", []))

    def has_huggingface_endpoint(self) -> bool:
        return any(ep.get("kind") == "huggingface" for ep in self.endpoints())

    def endpoint_name(self, model_id: str) -> str:
        """A free endpoint name derived from the model id, short enough for SageMaker with this prefix."""
        base = model_id.rsplit("/", 1)[-1].lower()
        for family in _JUMPSTART_NAME_PREFIXES:
            base = base.removeprefix(family)
        base = re.sub(r"[^a-z0-9]+", "-", base).strip("-") or "model"
        limit = max(1, min(_NAME_MAX, SAGEMAKER_NAME_MAX - len(self.prefix) - 1 - HASH_SUFFIX_LEN))
        taken = {ep.get("name") for ep in self.endpoints()}
        name, n = base[:limit].rstrip("-"), 2
        while name in taken:
            suffix = f"-{n}"
            name, n = base[: limit - len(suffix)].rstrip("-") + suffix, n + 1
        return name

    def set_hf_token(self, secret_arn: str, json_key: str | None) -> None:
        data = self._copy()
        token: dict[str, Any] = {"secret_arn": secret_arn}
        if json_key:
            token["json_key"] = json_key
        data.setdefault("sagemaker", {})["huggingface_token"] = token
        self._apply(data)

    def add_admin_principal(self, arn: str) -> None:
        data = self._copy()
        data.setdefault("admin_principals", []).append(arn)
        self._apply(data)

    def check_providers(self, names: list[str]) -> list[str]:
        """The provider names as the schema spells them, without repeats; Refused names the unknown."""
        providers = list(dict.fromkeys(provider_name(n) for n in names))
        data = self._copy()
        section = data.setdefault("third_party", {})
        for provider in providers:
            section.setdefault(provider, None)  # "not enabled": valid for every known provider
        errors = schema_errors(self._with_placeholders(data))
        if errors:
            raise Refused("\n".join(errors))
        return providers

    def add_third_party(self, provider: str, models: list[str | dict[str, str]] | None) -> None:
        """Enable ``provider`` with ``models`` (added to any it has); azure_openai takes none."""
        provider = provider_name(provider)
        data = self._copy()
        entry = data.setdefault("third_party", {}).setdefault(provider, {})
        if models is not None:
            entry.setdefault("models", []).extend(models)
        errors = schema_errors(self._with_placeholders(data))
        if errors:
            if provider == AZURE and models:
                errors.append(
                    "azure_openai takes no models: its deployments are listed in the API-keys secret "
                    f"({AZURE_MODELS_KEY}), each described by {azure_key('<FIELD>', '<Model>')} keys"
                )
            raise Refused("\n".join(errors))
        self.data = data

    def third_party_providers(self) -> list[str]:
        """The enabled providers, in the schema's order."""
        section = self.data.get("third_party", {})
        return [name for name in PROVIDERS if section.get(name) is not None]

    def add_override_role(self, arn: str) -> None:
        data = self._copy()
        data.setdefault("overrides", {}).setdefault("allowed_role_arns", []).append(arn)
        self._apply(data)

    # --- result ----------------------------------------------------------------------------------------

    def result(self) -> dict[str, Any]:
        """The config to write, keys in reading order; raises Refused if still incomplete."""
        missing = [k for k in ("prefix", "region") if k not in self.data]
        if missing:
            raise Refused(f"missing: {', '.join(missing)}")
        order = (
            "prefix",
            "region",
            "stage",
            "admin_principals",
            "bedrock",
            "sagemaker",
            "third_party",
            "overrides",
        )
        out = {k: self.data[k] for k in order if k in self.data}
        out.update({k: v for k, v in self.data.items() if k not in out})
        if not out.get("bedrock", {}).get("models"):
            out.pop("bedrock", None)
        if "third_party" in out:  # the schema's order, whatever the order of the answers
            section = out["third_party"]
            out["third_party"] = {name: section[name] for name in PROVIDERS if name in section}
        errors = schema_errors(out)
        if errors:
            raise Refused("\n".join(errors))
        return out


def check_field(model: type[BaseModel], name: str, value: Any, path: str) -> None:
    """Validate one value against one schema field's declared type (the synth's messages)."""
    info = model.model_fields[name]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    try:
        adapter.validate_json(json.dumps(value), strict=True)
    except ValidationError as err:
        lines = []
        for e in err.errors(include_url=False):
            got = f" (got {json.dumps(value)})" if e["type"] != "value_error" else ""
            lines.append(f"{path}: {e['msg'].removeprefix('Value error, ')}{got}")
        raise Refused("\n".join(lines)) from None


def check_instance_type(value: str) -> None:
    try:
        catalog.instance_info(value)
    except ValueError as err:
        raise Refused(f"instance_type: {err}") from None
