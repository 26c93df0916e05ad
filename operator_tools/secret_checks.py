"""Preflight: the API-keys and Hugging Face token secrets, described by shape only, never by value."""

from __future__ import annotations

import json
import re
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from modules.config import DeploymentConfig
from modules.sagemaker_config import HuggingFaceEndpoint
from operator_tools.checks import API_KEYS, HF_TOKEN, Aws, Check, Status, aws_failure, error_code

# Hugging Face user access tokens: "hf_" then letters and digits (34 in current ones); 30+ is lenient.
_HF_TOKEN = re.compile(r"^hf_[A-Za-z0-9]{30,}$")
# Key names shown in details: environment-variable style, or short words. Anything else might be a
# value pasted in the wrong place (API keys are long and mixed-case), so it is only counted.
_SHOWABLE_KEY = re.compile(r"^(?:[A-Z][A-Z0-9_]{0,63}|[A-Za-z][A-Za-z0-9_]{0,23})$")


def _json_kind(value: Any) -> str:
    return {str: "string", bool: "boolean", list: "array", dict: "object", type(None): "null"}.get(
        type(value), "number"
    )


def _key_names(data: dict[str, Any]) -> str:
    shown = [k for k in data if _SHOWABLE_KEY.match(k)]
    hidden = len(data) - len(shown)
    return ", ".join(shown + ([f"{hidden} other key(s)"] if hidden else []))


def _get_secret(aws: Aws, region: str, secret_id: str) -> dict[str, Any]:
    return dict(aws.client("secretsmanager", region).get_secret_value(SecretId=secret_id))


def _secret_error(err: Exception, secret_id: str, region: str) -> tuple[str, str]:
    if isinstance(err, ClientError) and error_code(err) == "InvalidRequestException":
        message = err.response.get("Error", {}).get("Message", "")
        if "marked for deletion" in message.lower() or "marked deleted" in message.lower():
            return (
                "the secret is scheduled for deletion",
                f"restore it: aws secretsmanager restore-secret --region {region} --secret-id {secret_id}, "
                "then import the secret and its current version into the stack's state before the next "
                "apply (README: Recovering the API-keys secret); a version missing from the state is "
                "created again as {} over the restored keys",
            )
    if isinstance(err, ClientError) and error_code(err) == "DecryptionFailure":
        return "the secret cannot be decrypted with its KMS key", "allow kms:Decrypt on the secret's key"
    return aws_failure(err, "secretsmanager:GetSecretValue")


def describe_api_keys(text: str) -> tuple[Status, str]:
    """Status and a value-free description of the API-keys secret's string."""
    stripped = text.strip()
    if not stripped:
        return "FAIL", "holds an empty string, not a JSON object"
    if stripped == "''":
        return "FAIL", "holds '' (two quote characters), not a JSON object"
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == "'":
        return "FAIL", "is wrapped in literal single quotes (a shell passed them through), so it is not JSON"
    try:
        data = json.loads(text)
    except ValueError:
        return "FAIL", "is not valid JSON"
    if not isinstance(data, dict):
        return "FAIL", f"holds a JSON {_json_kind(data)}, not an object"
    if not data:
        return "PASS", "empty JSON object (no third-party keys yet)"
    bad = {k: v for k, v in data.items() if not isinstance(v, str) or not v.strip()}
    if bad:
        return "WARN", f"JSON object; not a non-empty string: {_key_names(bad)}"
    return "PASS", f"JSON object with {len(data)} key(s): {_key_names(data)}"


def check_api_keys_secret(aws: Aws, config: DeploymentConfig) -> Check:
    name = config.names["secret"].value
    region = config.region
    fix = (
        f"set it to a JSON object: aws secretsmanager put-secret-value --region {region} --secret-id {name} "
        "--secret-string '{}' (then add the provider keys)"
    )
    try:
        secret = _get_secret(aws, region, name)
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return Check(
                API_KEYS, name, "SKIP", "not created yet; the first apply creates it holding {}", "", region
            )
        return Check(API_KEYS, name, "FAIL", *_secret_error(err, name, region), region)
    except BotoCoreError as err:
        return Check(API_KEYS, name, "FAIL", *aws_failure(err, "secretsmanager:GetSecretValue"), region)
    if "SecretString" not in secret:
        return Check(API_KEYS, name, "FAIL", "holds binary data, not a JSON object", fix, region)
    status, detail = describe_api_keys(secret["SecretString"])
    hint = fix if status == "FAIL" else ("each value must be the key as a string" if status == "WARN" else "")
    return Check(API_KEYS, name, status, detail, hint, region)


def describe_hf_token(text: str, json_key: str) -> tuple[Status, str, str]:
    """Status, a value-free description and a hint for the Hugging Face token secret's string.

    Mirrors how the stack reads it: JSON (anything ``jsondecode`` accepts) is indexed by ``json_key``,
    anything else is the token itself.
    """
    as_plain = "store the token as plain text, or as a JSON object {" + f'"{json_key}": "hf_..."' + "}"
    try:
        data = json.loads(text)
    except ValueError:
        token, form = text, "plain text"
    else:
        if not isinstance(data, dict):
            return "FAIL", f"holds a JSON {_json_kind(data)}; the stack reads JSON as an object", as_plain
        if json_key not in data:
            keys = _key_names(data) or "none"
            return (
                "FAIL",
                f"is a JSON object without the key {json_key!r} (keys: {keys})",
                f"add the key {json_key!r}, or set sagemaker.huggingface_token.json_key to the token's key",
            )
        if not isinstance(data[json_key], str):
            return (
                "FAIL",
                f"JSON key {json_key!r} holds a JSON {_json_kind(data[json_key])}, not a string",
                as_plain,
            )
        token, form = data[json_key], f"JSON key {json_key}"
    fix = "put the token (https://huggingface.co/settings/tokens, read access) in the secret: " + as_plain
    if not token.strip():
        return "FAIL", f"{form}: the token is empty", fix
    if any(c.isspace() for c in token.strip()) or len(token.strip()) < 8:
        return "FAIL", f"{form}: the value is not shaped like a token", fix
    if token != token.strip():
        return (
            "WARN",
            f"{form}: the token has surrounding whitespace (a trailing newline?)",
            "store it without",
        )
    if not _HF_TOKEN.match(token):
        return (
            "WARN",
            f"{form}: does not look like a Hugging Face access token (hf_ and 30+ letters and digits)",
            "check the secret holds a current access token; gated downloads fail otherwise",
        )
    return "PASS", f"{form}, Hugging Face token format", ""


def check_hf_token_secret(aws: Aws, config: DeploymentConfig) -> Check | None:
    token = config.sagemaker.huggingface_token
    if token is None:
        return None
    arn = token.secret_arn
    region = arn.split(":")[3]
    if not any(isinstance(ep, HuggingFaceEndpoint) for ep in config.sagemaker.endpoints):
        return Check(HF_TOKEN, arn, "SKIP", "not read: no huggingface endpoint in the config", "", region)
    try:
        secret = _get_secret(aws, region, arn)
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return Check(
                HF_TOKEN,
                arn,
                "FAIL",
                "the secret does not exist (or the ARN's 6-character suffix is wrong)",
                f"create it (aws secretsmanager create-secret --region {region} --name <name> "
                "--secret-string <token>) and copy its full ARN to sagemaker.huggingface_token.secret_arn",
                region,
            )
        return Check(HF_TOKEN, arn, "FAIL", *_secret_error(err, arn, region), region)
    except BotoCoreError as err:
        return Check(HF_TOKEN, arn, "FAIL", *aws_failure(err, "secretsmanager:GetSecretValue"), region)
    if "SecretString" not in secret:
        return Check(
            HF_TOKEN, arn, "FAIL", "holds binary data; the stack reads a string", "store it as text", region
        )
    status, detail, hint = describe_hf_token(secret["SecretString"], token.json_key)
    return Check(HF_TOKEN, arn, status, detail, hint, region)
