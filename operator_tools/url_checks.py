"""Preflight: who the deployed function's resource policy admits through its Function URL.

A caller needs both ``lambda:InvokeFunctionUrl`` and ``lambda:InvokeFunction`` (since October
2025). The stack grants the public (``auth_type: NONE``) or each of ``function_url.callers``
both, ``lambda:InvokeFunction`` only with the ``lambda:InvokedViaFunctionUrl`` condition. This
check reads the function's policy (``lambda:GetPolicy``, read-only) and reports a missing action,
and a ``lambda:InvokeFunction`` grant without that condition: it lets its holder invoke the
function directly with a hand-built event, which can name any caller, admins included.
"""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from modules.config import DeploymentConfig
from operator_tools.checks import Aws, Check, aws_failure, error_code

FUNCTION_URL = "function url"
CALLER_HINT = (
    "a caller needs both lambda:InvokeFunctionUrl and lambda:InvokeFunction (through the URL) on the "
    "function: attach the stack's caller_policy_json output to it; a caller in another account must "
    "also be in function_url.callers; apply the stack to grant them"
)
_ACCOUNT = re.compile(r"^\d{12}$")


def _principal(statement: dict[str, Any]) -> str:
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("AWS") or principal.get("Service") or ""
    value = str(principal or "")
    # Lambda stores an account id as the account's root ARN.
    m = re.match(r"^arn:aws[a-z-]*:iam::(\d{12}):root$", value)
    return m.group(1) if m else value


def _through_url(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    flag = (condition.get("Bool") or {}).get("lambda:InvokedViaFunctionUrl")
    return str(flag).lower() == "true"


def _wanted(config: DeploymentConfig) -> list[str]:
    if config.function_url.auth_type == "NONE":
        return ["*"]
    out = []
    for caller in config.function_url.callers:
        m = re.match(r"^arn:aws[a-z-]*:iam::(\d{12}):root$", caller)
        out.append(m.group(1) if m else caller)
    return out


def check_function_url(aws: Aws, config: DeploymentConfig) -> Check:
    region = config.region
    name = config.names["function"].value

    def row(status: Any, detail: str, hint: str = "") -> Check:
        return Check(FUNCTION_URL, name, status, detail, hint, region)

    wanted = _wanted(config)
    try:
        raw = aws.client("lambda", region).get_policy(FunctionName=name)["Policy"]
    except ClientError as err:
        if error_code(err) != "ResourceNotFoundException":
            return row("FAIL", *aws_failure(err, "lambda:GetPolicy"))
        message = str(err.response.get("Error", {}).get("Message", ""))
        if "Function not found" in message:
            return row("SKIP", "not deployed yet: the stack grants the callers when it is applied")
        statements: list[dict[str, Any]] = []  # the function exists and has no resource policy
    except BotoCoreError as err:
        return row("FAIL", *aws_failure(err, "lambda:GetPolicy"))
    else:
        statements = list(json.loads(raw).get("Statement") or [])

    unconditioned = sorted(
        {
            _principal(s)
            for s in statements
            if s.get("Effect") == "Allow"
            and s.get("Action") == "lambda:InvokeFunction"
            and not _through_url(s)
        }
    )
    missing = []
    for principal in wanted:
        actions = {
            s.get("Action")
            for s in statements
            if s.get("Effect") == "Allow"
            and _principal(s) == principal
            and (s.get("Action") != "lambda:InvokeFunction" or _through_url(s))
        }
        if not {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"} <= actions:
            missing.append("the public" if principal == "*" else principal)
    if unconditioned:
        return row(
            "FAIL",
            "lambda:InvokeFunction is granted without the lambda:InvokedViaFunctionUrl condition to "
            + ", ".join(unconditioned)
            + ": they can invoke the function directly with a hand-built event naming any caller",
            "remove those statements (aws lambda remove-permission) and apply the stack, which grants "
            "lambda:InvokeFunction only through the URL",
        )
    if missing:
        return row("FAIL", "missing one or both Function URL actions for " + ", ".join(missing), CALLER_HINT)
    if wanted:
        who = "the public" if wanted == ["*"] else f"{len(wanted)} caller(s)"
        return row("PASS", f"{who} hold both actions, lambda:InvokeFunction through the URL only")
    return row("PASS", "no grant on the function; callers in this account need the caller_policy_json policy")


DIRECT_INVOKE = "direct invoke"
DIRECT_HINT = (
    "grant these principals lambda:InvokeFunction only with the condition "
    '"Bool": {"lambda:InvokedViaFunctionUrl": "true"} (the stack\'s caller_policy_json output does), '
    "or not at all"
)
_SIMULATED = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/")


def _account(aws: Aws, region: str) -> str:
    return str(aws.client("sts", region).get_caller_identity()["Account"])


def check_direct_invoke(aws: Aws, config: DeploymentConfig) -> Check | None:
    """Whether a configured principal (caller or admin) may invoke the function *directly*, which
    lets it hand-build a request context naming any caller, admins included. Asked of IAM's
    policy simulator (``iam:SimulatePrincipalPolicy``, read-only) for the principals' identity
    policies, with no ``lambda:InvokedViaFunctionUrl`` in the context, as for a direct invoke.
    None when no role or user is configured (account ids cannot be simulated)."""
    principals = [
        p
        for p in dict.fromkeys([*config.function_url.callers, *config.admin_principals])
        if _SIMULATED.match(p)
    ]
    if not principals:
        return None
    region, name = config.region, config.names["function"].value

    def row(status: Any, detail: str, hint: str = "") -> Check:
        return Check(DIRECT_INVOKE, name, status, detail, hint, region)

    iam = aws.client("iam", region)
    direct: list[str] = []
    unknown: list[str] = []
    try:
        account = _account(aws, region)
        function_arn = f"arn:{principals[0].split(':')[1]}:lambda:{region}:{account}:function:{name}"
        # Another account's principals are governed by that account's policies: not visible here.
        elsewhere = [p for p in principals if p.split(":")[4] != account]
        for principal in (p for p in principals if p not in elsewhere):
            try:
                result = iam.simulate_principal_policy(
                    PolicySourceArn=principal,
                    ActionNames=["lambda:InvokeFunction"],
                    ResourceArns=[function_arn],
                )
            except ClientError as err:
                if error_code(err) != "NoSuchEntity":
                    raise
                unknown.append(principal)
                continue
            if any(r.get("EvalDecision") == "allowed" for r in result.get("EvaluationResults", [])):
                direct.append(principal)
    except (ClientError, BotoCoreError) as err:
        return row("FAIL", *aws_failure(err, "iam:SimulatePrincipalPolicy"))
    if direct:
        return row(
            "WARN",
            "may invoke the function directly, not only through its URL: "
            + ", ".join(direct)
            + ". A direct invoke carries a hand-built request context that can name any caller, "
            "admins included (runtime overrides still need the admin's presigned identity)",
            DIRECT_HINT,
        )
    checked = len(principals) - len(unknown) - len(elsewhere)
    detail = f"{checked} principal(s) of this account may invoke the function only through its URL"
    if unknown:
        detail += "; not found in IAM (not created yet?): " + ", ".join(unknown)
    if elsewhere:
        detail += "; in other accounts, not checked here: " + ", ".join(elsewhere)
    return row("PASS", detail)
