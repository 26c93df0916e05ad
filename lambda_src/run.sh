#!/bin/sh
# The function's handler on the managed Python runtime: the Lambda Web Adapter's wrapper
# (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap) runs this script, which serves the ASGI app.
# Layers (the provider layer) sit on /opt/python, the package itself on the task root.
export PYTHONPATH="${LAMBDA_TASK_ROOT}:/opt/python${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m lambda_src.server
