"""Who may call the Function URL: the resource-based permissions and the callers' IAM policy.

One source for the cdktf stack and the exported ``inference-api`` module, kept free of cdktf
imports. Every block here is plain Terraform JSON whose expressions the caller supplies, so the
stack (config values) and the module (variables) emit the same resources.

Since October 2025 a Function URL admits a caller only if it holds both
``lambda:InvokeFunctionUrl`` and ``lambda:InvokeFunction`` (older URLs lost their exception on
2026-11-01). ``lambda:InvokeFunction`` is always granted with the ``lambda:InvokedViaFunctionUrl``
condition, so a grant cannot be used to invoke the function directly with a hand-built event.
"""

from __future__ import annotations

import json
from typing import Any

URL_INVOKE_ACTIONS = ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction")
# The statement ids the Lambda console and the provider (6.28+) use for a public URL. Using the
# same ids means the provider's own best-effort grant finds ours in place instead of adding a
# second, untracked copy.
PUBLIC_URL_SID = "FunctionURLAllowPublicAccess"
PUBLIC_INVOKE_SID = "FunctionURLAllowInvokeAction"
# Lambda's resource-based policy holds at most 20 KB; two statements per caller.
MAX_CALLERS = 25


def _pair(
    *, function_name: str, principal: str, auth_type: str, url_sid: str, invoke_sid: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    url = {
        "statement_id": url_sid,
        "action": URL_INVOKE_ACTIONS[0],
        "function_name": function_name,
        "principal": principal,
        "function_url_auth_type": auth_type,
    }
    invoke = {
        "statement_id": invoke_sid,
        "action": URL_INVOKE_ACTIONS[1],
        "function_name": function_name,
        "principal": principal,
        "invoked_via_function_url": True,
    }
    return url, invoke


def public_permissions(*, function_name: str) -> dict[str, dict[str, Any]]:
    """The pair for a public ``NONE`` URL, as ``aws_lambda_permission`` blocks by Terraform name."""
    url, invoke = _pair(
        function_name=function_name,
        principal="*",
        auth_type="NONE",
        url_sid=PUBLIC_URL_SID,
        invoke_sid=PUBLIC_INVOKE_SID,
    )
    return {"public_function_url": url, "public_function_invoke": invoke}


def caller_permissions(*, function_name: str, callers: str) -> dict[str, dict[str, Any]]:
    """The pair for each caller of an ``AWS_IAM`` URL; ``callers`` is a Terraform expression
    (without ``${}``) of the set of IAM principal ARNs or account ids."""
    # A caller's statement ids derive from the caller, so reordering the list changes nothing.
    sid = "${substr(sha1(each.key), 0, 16)}"
    url, invoke = _pair(
        function_name=function_name,
        principal="${each.key}",
        auth_type="AWS_IAM",
        url_sid=f"FunctionUrlCaller-{sid}",
        invoke_sid=f"FunctionUrlCallerInvoke-{sid}",
    )
    for_each = f"${{{callers}}}"
    return {
        "caller_function_url": {"for_each": for_each, **url},
        "caller_function_invoke": {"for_each": for_each, **invoke},
    }


def caller_policy(*, function_arn: str, auth_type: str) -> dict[str, Any]:
    """The identity policy a caller needs: both actions on this function only, the direct
    invoke only through the Function URL."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeInferenceApiUrl",
                "Effect": "Allow",
                "Action": URL_INVOKE_ACTIONS[0],
                "Resource": function_arn,
                "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": auth_type}},
            },
            {
                "Sid": "InvokeInferenceApiThroughUrl",
                "Effect": "Allow",
                "Action": URL_INVOKE_ACTIONS[1],
                "Resource": function_arn,
                "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
            },
        ],
    }


def caller_policy_output(*, function_arn: str, auth_type: str) -> dict[str, Any]:
    """The ``caller_policy_json`` output block; the expressions are Terraform, without ``${}``."""
    policy = caller_policy(function_arn=f"${{{function_arn}}}", auth_type=f"${{{auth_type}}}")
    return {
        "value": json.dumps(policy, separators=(",", ":")),
        "description": "IAM policy a caller of the Function URL needs (attach it to the calling role "
        "or user): lambda:InvokeFunctionUrl and lambda:InvokeFunction on this function only, the "
        "latter only through the URL.",
    }
