"""What the function expects from whatever deploys it (the cdktf stack or an exported module).

Kept free of cdktf imports so the module export stays fast.
"""

from __future__ import annotations

HANDLER = "lambda_src.app.lambda_handler"
# SSM String parameter size limits per tier.
STANDARD_TIER_MAX = 4096
ADVANCED_TIER_MAX = 8192
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
BEDROCK_INVOKE = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
SAGEMAKER_INVOKE = ("sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream")
METRICS_NAMESPACE = "LlmInferenceApi"
CORS_HEADERS = ("authorization", "content-type", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")
