"""Lambda entry point: a powertools resolver behind a Lambda Function URL (payload format 2.0).

Handler string: ``lambda_src.app.lambda_handler``. Every error, including unknown routes and
unexpected exceptions, is answered as OpenAI-shaped JSON (see :mod:`lambda_src.error_handlers`).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambda_src.error_handlers import register_error_handlers
from lambda_src.routes import ALLOWED_METHODS, chat, embeddings, health, models, not_implemented
from lambda_src.telemetry import logger, metrics, tracer

__all__ = ["app", "lambda_handler", "logger", "metrics", "tracer"]

app = LambdaFunctionUrlResolver(enable_validation=True)
app.include_router(health.router)
app.include_router(models.router)
app.include_router(chat.router)
app.include_router(embeddings.router)
app.include_router(not_implemented.router)
register_error_handlers(app, ALLOWED_METHODS, logger)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.LAMBDA_FUNCTION_URL)
# The response holds completions: it must not become trace metadata.
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
