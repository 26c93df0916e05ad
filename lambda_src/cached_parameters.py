"""Powertools' parameters utility (SSM parameters and Secrets Manager secrets behind its
``max_age`` cache), imported on first use.

Its modules import boto3, which a function that reads its inventory from the package and has no
API-keys secret never needs (see :mod:`lambda_src.aws_clients`), so nothing here is imported at
module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider as SecretsProvider
    from aws_lambda_powertools.utilities.parameters import SSMProvider as SSMProvider


def ssm_provider(client: Any) -> SSMProvider:
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=client)


def secrets_provider(client: Any) -> SecretsProvider:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=client)


def fetch_error() -> type[Exception]:
    """The error a provider's ``get`` raises when the value cannot be read."""
    from aws_lambda_powertools.utilities.parameters import GetParameterError

    return GetParameterError


def fetch_reason(err: BaseException) -> str:
    """Why a read failed, for the log: the AWS error code, or the error's type; never its text."""
    # Powertools raises GetParameterError without ``from``: the SDK error is the context.
    cause = err.__cause__ or err.__context__
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", "ClientError"))
    return type(cause or err).__name__
