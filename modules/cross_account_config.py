"""Config of the model-access stack: a role in a model-hosting account that the API may assume."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from lambda_src.bedrock_ids import ModelIdError, parse_model_ref
from modules.config_types import ExternalId, Region, RoleArn, StrictModel

RoleName = Annotated[str, StringConstraints(pattern=r"^[\w+=,.@-]{1,64}$")]
EndpointName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")]
ALL: Literal["*"] = "*"


class CrossAccountRole(StrictModel):
    """Deployed with the hosting account's credentials: ``cdktf deploy <prefix>-model-access``."""

    # Region of the hosting account's endpoints and models; defaults to the deployment region.
    region: Region | None = None
    # Defaults to "<prefix>-model-access".
    role_name: RoleName | None = None
    # Who may assume the role: the inference API's execution role ARN(s) (output lambda_role_arn).
    trusted_role_arns: tuple[RoleArn, ...] = Field(min_length=1, max_length=20)
    external_id: ExternalId | None = None
    # "*" for every endpoint of the account and region, or a list of endpoint names.
    sagemaker_endpoints: Literal["*"] | tuple[EndpointName, ...] = ()
    # "*" for every foundation model, inference profile and custom model, or a list of Bedrock
    # model ids, inference profile ids and ARNs.
    bedrock_models: Literal["*"] | tuple[str, ...] = ()
    max_session_duration_seconds: int = Field(default=3600, ge=3600, le=43200)

    @model_validator(mode="after")
    def _check(self) -> CrossAccountRole:
        if not self.sagemaker_endpoints and not self.bedrock_models:
            raise ValueError(
                "grant something: set sagemaker_endpoints and/or bedrock_models ('*' or a list of names)"
            )
        if self.bedrock_models != ALL:
            for i, model in enumerate(self.bedrock_models):
                try:
                    parse_model_ref(model)
                except ModelIdError as err:
                    raise ValueError(f"bedrock_models[{i}]: {err}") from None
        return self
