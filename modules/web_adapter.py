"""The AWS Lambda Web Adapter layer: where it is published, and how the function runs behind it.

Pinned 2026-11-29 from the adapter's repository (aws/aws-lambda-web-adapter): release v1.1.0 is
layer version 30 (its docs update, pull request #871 of 2026-09-18; version 29 belonged to a
reverted release and is skipped), published by account 753240598075 in the commercial regions
its release pipeline lists (``.github/workflows/prod.json``, x86_64 and arm64 in every one),
and by two other accounts in the China regions, where the documented layer is x86_64 only. It
is not published in AWS GovCloud. Elsewhere, or for another version, set
``lambda.web_adapter_layer_arn`` (a copy of the layer published in your account works too).

To refresh: read the adapter's README ("Lambda functions packaged as Zip package for AWS
managed runtimes") and ``prod.json``, update the version, regions and this date.
"""

from __future__ import annotations

from typing import Literal

CHECKED = "2026-11-29"
VERSION = "1.1.0"
LAYER_VERSION = 30
COMMERCIAL_ACCOUNT = "753240598075"
COMMERCIAL_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)
# China regions: the publishing account per region; x86_64 only.
CHINA_ACCOUNTS = {"cn-north-1": "041581134020", "cn-northwest-1": "069767869989"}
LAYER_NAMES = {"x86_64": "LambdaAdapterLayerX86", "arm64": "LambdaAdapterLayerArm64"}

# How the function runs behind the adapter (one source for the stack and the exported module).
EXEC_WRAPPER = "/opt/bootstrap"
PORT = 8080
READINESS_PATH = "/health"
InvokeMode = Literal["RESPONSE_STREAM", "BUFFERED"]


def layer_arn(region: str, architecture: str) -> str | None:
    """The pinned layer ARN for ``region`` and ``architecture``; None where it is not published."""
    name = LAYER_NAMES[architecture]
    if region in COMMERCIAL_REGIONS:
        return f"arn:aws:lambda:{region}:{COMMERCIAL_ACCOUNT}:layer:{name}:{LAYER_VERSION}"
    account = CHINA_ACCOUNTS.get(region)
    if account and architecture == "x86_64":
        return f"arn:aws-cn:lambda:{region}:{account}:layer:{name}:{LAYER_VERSION}"
    return None


def environment(invoke_mode: InvokeMode) -> dict[str, str]:
    """The variables the adapter (and the startup script) read."""
    return {
        "AWS_LAMBDA_EXEC_WRAPPER": EXEC_WRAPPER,
        "AWS_LWA_PORT": str(PORT),
        "AWS_LWA_READINESS_CHECK_PATH": READINESS_PATH,
        "AWS_LWA_INVOKE_MODE": invoke_mode.lower(),
    }
