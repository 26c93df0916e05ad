"""What the function expects from whatever deploys it (the cdktf stack or an exported module).

Kept free of cdktf imports so the module export stays fast.
"""

from __future__ import annotations

# The Lambda Web Adapter's wrapper (AWS_LAMBDA_EXEC_WRAPPER) runs this script, which serves the app.
HANDLER = "lambda_src/run.sh"
# The prebuilt cdktf bindings pin one provider version; the synthesized stacks and the exported
# modules admit every version whose arguments this project uses (validated against 5.100 and 6.x).
AWS_PROVIDER_VERSION = ">= 5.100.0, < 7.0.0"
# Granting callers on the function (a public URL, function_url.callers, the inference-api module)
# needs aws_lambda_permission.invoked_via_function_url, new in the AWS provider 6.28.0
# (hashicorp/terraform-provider-aws#44858, checked 2026-11-29).
AWS_PROVIDER_VERSION_URL_GRANTS = ">= 6.28.0, < 7.0.0"
# SSM String parameter size limits per tier.
STANDARD_TIER_MAX = 4096
ADVANCED_TIER_MAX = 8192
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# Each model is called whole (Converse, InvokeModel, InvokeEndpoint) or streamed (ConverseStream,
# InvokeEndpointWithResponseStream): the streaming actions go with the same resources.
BEDROCK_INVOKE = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
SAGEMAKER_INVOKE = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")
# botocore attempts per upstream call; the request's deadline bounds all of them together.
UPSTREAM_ATTEMPTS = 3
# A stream that sends nothing for this long ends with an error event (config default).
STREAM_IDLE_TIMEOUT_SECONDS = 30
METRICS_NAMESPACE = "LlmInferenceApi"
CORS_HEADERS = ("authorization", "content-type", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")
