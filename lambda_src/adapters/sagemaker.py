"""SageMaker endpoints: ``invoke_endpoint`` with the codec the inventory entry names.

The wire formats live in :mod:`lambda_src.adapters.sagemaker_codecs` (pure); this class only
adds the endpoint options (custom attributes, target variant / container, inference
component) and makes the one client call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lambda_src.adapters.base import DeltaStream, response_closer
from lambda_src.adapters.errors import UPSTREAM_EXCEPTIONS, map_aws_error
from lambda_src.adapters.sagemaker_codecs import (
    TEI_BATCH,
    Invocation,
    codec_for,
    json_lines,
    sse_data,
    tei_embed_invocation,
    tei_vectors,
)
from lambda_src.api_types import ChatCompletionRequest, EmbeddingRequest
from lambda_src.aws_clients import AwsClients
from lambda_src.chat import ChatResult, Delta, EmbeddingResult
from lambda_src.exceptions import ConfigurationError, InvalidRequestError
from lambda_src.inventory import ModelSpec


def invoke_endpoint_kwargs(spec: ModelSpec, invocation: Invocation) -> dict[str, Any]:
    """Keyword arguments of ``sagemaker-runtime`` ``invoke_endpoint``."""
    kwargs: dict[str, Any] = {
        "EndpointName": spec.model,
        "Body": invocation.body,
        "ContentType": invocation.content_type,
        "Accept": invocation.accept,
    }
    options = spec.endpoint_kwargs
    # Attributes configured for the endpoint replace the codec's default (JumpStart's EULA flag).
    attributes = (options.custom_attributes if options else None) or invocation.custom_attributes
    if attributes:
        kwargs["CustomAttributes"] = attributes
    if options:
        for key, value in (
            ("TargetVariant", options.target_variant),
            ("TargetContainerHostname", options.target_container_hostname),
            ("InferenceComponentName", options.inference_component_name),
        ):
            if value:
                kwargs[key] = value
    return kwargs


class SageMakerModel:
    def __init__(self, spec: ModelSpec, clients: AwsClients) -> None:
        self._spec = spec
        self._clients = clients

    def chat(self, request: ChatCompletionRequest) -> ChatResult:
        spec = self._spec
        codec = codec_for(spec)
        invocation = codec.encode(spec, request)
        return codec.decode(self._invoke(invocation), invocation)

    def _invoke(self, invocation: Invocation) -> bytes:
        """One ``invoke_endpoint`` call; the container's whole answer."""
        spec = self._spec
        try:
            client = self._clients.get("sagemaker-runtime", spec.region, spec.role_arn, spec.external_id)
            response = client.invoke_endpoint(**invoke_endpoint_kwargs(spec, invocation))
            body: bytes = response["Body"].read()
        except UPSTREAM_EXCEPTIONS as err:
            raise map_aws_error(err, spec) from err
        return body

    def stream(self, request: ChatCompletionRequest) -> DeltaStream:
        spec = self._spec
        codec = codec_for(spec)
        invocation = codec.encode_stream(spec, request)
        if invocation is None:
            return DeltaStream.of(self.chat(request))  # the container answers whole
        try:
            client = self._clients.get("sagemaker-runtime", spec.region, spec.role_arn, spec.external_id)
            response = client.invoke_endpoint_with_response_stream(**invoke_endpoint_kwargs(spec, invocation))
        except UPSTREAM_EXCEPTIONS as err:
            raise map_aws_error(err, spec) from err
        events = response["Body"]
        parts = (e["PayloadPart"]["Bytes"] for e in events if "PayloadPart" in e)
        frames = sse_data(parts) if codec.framing == "sse" else json_lines(parts)
        return DeltaStream(
            self._mapped(codec.decode_stream(frames, invocation)),
            close=response_closer(_raw(events)),
        )

    def embed(self, request: EmbeddingRequest) -> EmbeddingResult:
        """Text Embeddings Inference, in batches of its default client batch size. TEI reports
        no token counts, so usage is 0."""
        spec = self._spec
        if spec.api != "tei-embed":
            raise ConfigurationError(
                f"model {spec.id!r}: SageMaker embeddings are served with api 'tei-embed'"
            )
        if request.dimensions is not None:
            raise InvalidRequestError(
                f"model {spec.id!r} does not take dimensions (its embeddings have one size); leave it out",
                param="dimensions",
            )
        vectors: list[tuple[float, ...]] = []
        texts = request.texts
        for start in range(0, len(texts), TEI_BATCH):
            batch = texts[start : start + TEI_BATCH]
            vectors += tei_vectors(self._invoke(tei_embed_invocation(batch)), len(batch))
        return EmbeddingResult(tuple(vectors), 0)

    def _mapped(self, deltas: Iterator[Delta]) -> Iterator[Delta]:
        try:
            yield from deltas
        except UPSTREAM_EXCEPTIONS as err:
            raise map_aws_error(err, self._spec) from err


def _raw(events: Any) -> Any:
    # botocore keeps the HTTP response of an event stream private; closing the EventStream
    # itself is the fallback (it cannot wake a read blocked in another thread).
    return getattr(events, "_raw_stream", events)
