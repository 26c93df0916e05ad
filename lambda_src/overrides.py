"""Runtime overrides: a whole model spec in the request, or changes to an inventory entry.

Two extension fields of the chat request (``extra_body`` in the OpenAI SDKs):

- ``custom_model``: a model spec with the inventory's schema (:class:`ModelSpec`; ``id``
  defaults to the request's ``model``), called as if it were in the inventory;
- ``model_overrides``: ``{"model_kwargs": {...}, "endpoint_kwargs": {...}}`` merged into the
  inventory entry named by ``model`` (keys given replace the entry's; the others stay).

Who may send them: only when the stage is exactly ``dev`` (``STAGE``), the caller's IAM
principal (:mod:`lambda_src.principals`) is one of ``ADMIN_PRINCIPALS``, and the request carries
a presigned identity STS confirms to be that caller (:mod:`lambda_src.admin_identity`). A
``role_arn`` in a custom spec must be one of ``OVERRIDE_ROLE_ARNS``, the roles the function's own
IAM policy lets it assume for overrides (empty outside dev). Every refusal is a 403 raised
before anything is read or called (keys, STS AssumeRole, a model; only the identity check asks
STS); the fields are validated only after the caller passed, so a refused caller learns nothing
about the schema. Each refusal and each accepted override is
logged with the caller.
"""

from __future__ import annotations

from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError

from lambda_src.adapters import jsonpath
from lambda_src.adapters.prompts import TemplateError, check_template
from lambda_src.api_types import ChatCompletionRequest
from lambda_src.exceptions import AccessDeniedError, InvalidRequestError
from lambda_src.inventory import THIRD_PARTY, EndpointKwargs, Inventory, ModelSpec
from lambda_src.inventory_loader import load_inventory
from lambda_src.model_lookup import check_provider_enabled, find_model
from lambda_src.principals import is_one_of
from lambda_src.request_body import describe_validation_error
from lambda_src.request_context import RequestContext
from lambda_src.retired_providers import RETIRED
from lambda_src.settings import Settings
from lambda_src.telemetry import logger

CUSTOM = "custom_model"
OVERRIDES = "model_overrides"
DENIED = (
    "runtime overrides (custom_model, model_overrides) are allowed only for the deployment's admin "
    "principals, and only in a dev stage"
)
_BEDROCK_APIS = (None, "converse", "invoke_model")
# Fields that mean nothing for a third-party model: refused rather than ignored.
_AWS_ONLY = (
    "region",
    "role_arn",
    "external_id",
    "base_model_provider",
    "api",
    "prompt_format",
    "prompt_template",
    "content_handler",
)


class ModelOverrides(BaseModel):
    # Built when an admin first sends model_overrides, not with the app.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    model_kwargs: dict[str, Any] | None = None
    endpoint_kwargs: EndpointKwargs | None = None


def which(request: ChatCompletionRequest) -> str | None:
    """The override field the request uses, if any."""
    if request.custom_model is not None:
        return CUSTOM
    if request.model_overrides is not None:
        return OVERRIDES
    return None


def chat_spec(
    request: ChatCompletionRequest, settings: Settings, context: RequestContext | None
) -> ModelSpec:
    """The model spec to call for ``request``: from the inventory, with the caller's overrides.
    With an override it may call STS (the admin's identity): run it off the event loop."""
    field = which(request)
    if field is None:
        return find_model(request.model, "chat", settings)
    caller = context.caller_arn if context else None
    authorize(field, settings, context)
    if request.custom_model is not None and request.model_overrides is not None:
        raise InvalidRequestError(
            "send either custom_model or model_overrides, not both (put the kwargs in the spec)",
            param=OVERRIDES,
        )
    if request.custom_model is not None:
        spec = custom_spec(request.model, request.custom_model)
        check_role(spec, settings, caller)
        inventory = load_inventory(settings)
        check_provider_enabled(spec, inventory)
        check_connection(spec, inventory)
    else:
        spec = overridden(find_model(request.model, "chat", settings), request.model_overrides or {})
    logger.info("runtime override", extra={"field": field, "caller": caller, "model": spec.id})
    return spec


def authorize(field: str, settings: Settings, context: RequestContext | None) -> None:
    caller = context.caller_arn if context else None
    if not settings.is_dev:
        _deny(field, caller, "the stage is not dev")
    if context is None or caller is None or not is_one_of(caller, settings.admin_principals):
        _deny(field, caller, "the caller is not an admin principal" if caller else "no IAM caller")
    # The context names an admin; the presigned identity proves the caller is that admin. (Imported
    # here: only a dev stage's admins get this far, and its STS client is not needed otherwise.)
    from lambda_src import admin_identity

    admin_identity.verify(
        context.admin_identity,
        caller=caller,
        audience=context.domain_name,
        region=settings.region,
        timeout=context.remaining(),
    )


def check_role(spec: ModelSpec, settings: Settings, caller: str | None) -> None:
    if spec.role_arn is not None and spec.role_arn not in settings.override_role_arns:
        logger.warning(
            "runtime override refused",
            extra={"field": CUSTOM, "caller": caller, "reason": "role_arn is not in OVERRIDE_ROLE_ARNS"},
        )
        raise AccessDeniedError(
            "custom_model.role_arn is not one of the roles this deployment allows in overrides "
            "(overrides.allowed_role_arns in the deployment config)",
            param=f"{CUSTOM}.role_arn",
        )


def check_connection(spec: ModelSpec, inventory: Inventory) -> None:
    """An openai_compatible spec must name a connection the deployment configured: a request may
    not send a key of the secret to a URL, or with headers, of its own choosing."""
    if spec.connection is None:
        return
    if not any(m.connection == spec.connection for m in inventory.models):
        raise InvalidRequestError(
            f"invalid {CUSTOM}.connection: it must be one of the deployment's openai_compatible providers "
            "as configured (name, base_url, api_key_name and headers), to keep its keys on its own URLs",
            param=f"{CUSTOM}.connection",
        )


def _deny(field: str, caller: str | None, reason: str) -> NoReturn:
    logger.warning("runtime override refused", extra={"field": field, "caller": caller, "reason": reason})
    raise AccessDeniedError(DENIED, param=field)


def _invalid(err: ValidationError, prefix: str) -> InvalidRequestError:
    errors = err.errors(include_url=False, include_input=False)
    return describe_validation_error([{**e, "loc": (prefix, *e["loc"])} for e in errors])


def custom_spec(model: str, raw: dict[str, Any]) -> ModelSpec:
    """``raw`` validated as a :class:`ModelSpec` named ``model``, and checked for what can be called."""
    if "id" in raw and raw["id"] != model:
        raise InvalidRequestError(
            "custom_model.id must be the request's model (or be left out)", param=f"{CUSTOM}.id"
        )
    try:
        spec = ModelSpec.model_validate({**raw, "id": model})
    except ValidationError as err:
        raise _invalid(err, CUSTOM) from None
    check_spec(spec, CUSTOM)
    return spec


def check_spec(spec: ModelSpec, prefix: str) -> None:
    """What the schema alone cannot say: each field makes sense for the provider and is usable."""

    def bad(field: str, message: str) -> InvalidRequestError:
        return InvalidRequestError(f"invalid {prefix}.{field}: {message}", param=f"{prefix}.{field}")

    if spec.task != "chat":
        raise bad("task", "only chat models can be sent in a request")
    if spec.provider in RETIRED:
        raise bad("provider", RETIRED[spec.provider])
    if spec.provider in THIRD_PARTY:
        for name in _AWS_ONLY:
            if getattr(spec, name) is not None:
                raise bad(name, f"does not apply to provider {spec.provider!r}")
        if spec.endpoint_kwargs is not None:
            raise bad("endpoint_kwargs", "apply to SageMaker endpoints only")
    elif spec.provider == "bedrock":
        if spec.api not in _BEDROCK_APIS:
            raise bad("api", "Bedrock models take 'converse' or 'invoke_model'")
        for name in ("content_handler", "endpoint_kwargs"):
            if getattr(spec, name) is not None:
                raise bad(name, "applies to SageMaker endpoints only")
    else:
        from lambda_src.adapters.sagemaker_codecs import CODECS

        if spec.api is not None and spec.api not in CODECS:
            raise bad("api", "SageMaker endpoints take " + ", ".join(repr(c) for c in CODECS))
        if (spec.content_handler is not None) != (spec.api == "content-handler"):
            raise bad("content_handler", "is required with api 'content-handler', and applies only there")
        if spec.content_handler is not None:
            handler = spec.content_handler
            try:
                jsonpath.parse(handler.output_path)
                # Built once here, so a path that cannot hold a value is refused before any call.
                body = jsonpath.build(handler.input_prompt_path, "")
                if handler.input_kwargs_path:
                    jsonpath.build(handler.input_kwargs_path, {}, body)
            except jsonpath.JsonPathError as err:
                raise bad("content_handler", str(err)) from None
    if spec.prompt_template is not None:
        try:
            check_template(spec.prompt_template)
        except TemplateError as err:
            raise bad("prompt_template", str(err)) from None
    check_model_kwargs(spec.model_kwargs, f"{prefix}.model_kwargs")


def check_model_kwargs(kwargs: dict[str, Any], where: str) -> None:
    """The generation defaults among ``kwargs`` have the types the adapters expect."""
    for key in ("temperature", "top_p"):
        value = kwargs.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidRequestError(f"invalid {where}.{key}: must be a number", param=f"{where}.{key}")
    max_tokens = kwargs.get("max_tokens")
    if max_tokens is not None and (
        isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1
    ):
        raise InvalidRequestError(
            f"invalid {where}.max_tokens: must be a whole number >= 1", param=f"{where}.max_tokens"
        )
    stop = kwargs.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise InvalidRequestError(
            f"invalid {where}.stop: must be a string or an array of strings", param=f"{where}.stop"
        )


def overridden(spec: ModelSpec, raw: dict[str, Any]) -> ModelSpec:
    """``spec`` with the request's model kwargs and endpoint kwargs merged in."""
    try:
        changes = ModelOverrides.model_validate(raw)
    except ValidationError as err:
        raise _invalid(err, OVERRIDES) from None
    update: dict[str, Any] = {}
    if changes.model_kwargs is not None:
        check_model_kwargs(changes.model_kwargs, f"{OVERRIDES}.model_kwargs")
        update["model_kwargs"] = {**spec.model_kwargs, **changes.model_kwargs}
    if changes.endpoint_kwargs is not None:
        if spec.provider != "sagemaker":
            raise InvalidRequestError(
                f"invalid {OVERRIDES}.endpoint_kwargs: model {spec.id!r} is not a SageMaker endpoint",
                param=f"{OVERRIDES}.endpoint_kwargs",
            )
        current = spec.endpoint_kwargs.model_dump(exclude_none=True) if spec.endpoint_kwargs else {}
        update["endpoint_kwargs"] = {**current, **changes.endpoint_kwargs.model_dump(exclude_unset=True)}
    try:
        return ModelSpec.model_validate({**spec.model_dump(), **update})
    except ValidationError as err:  # pragma: no cover - the parts were validated above
        raise _invalid(err, OVERRIDES) from None
