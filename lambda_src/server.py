"""Serve the app in Lambda, behind the AWS Lambda Web Adapter: ``python -m lambda_src.server``.

The adapter waits for its readiness check (``GET /health`` on ``AWS_LWA_PORT``) before it
forwards the first request. Only 127.0.0.1 is bound: the adapter runs in the same sandbox.
"""

from __future__ import annotations

import gc
import os

import uvicorn

from lambda_src.app import app

DEFAULT_PORT = 8080


def main() -> None:
    port = int(os.environ.get("AWS_LWA_PORT") or DEFAULT_PORT)
    # Everything imported so far lives as long as the process: move it out of the collector's
    # reach, so that the first requests do not pay for a full collection over import garbage.
    gc.freeze()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,  # the app logs JSON through Powertools; uvicorn's own lines are not needed
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
        # One request at a time per execution environment: no keep-alive churn matters here.
        timeout_keep_alive=3600,
    )


if __name__ == "__main__":
    main()
