"""Call the deployed API through its Function URL, signed with the caller's AWS credentials.

    ./scripts/invoke --url "$(terraform output -raw lambda_function_url)" --model claude "Hello"
    echo "Hello" | LLM_API_URL=https://... ./scripts/invoke --model claude --json

Exit status: 0 on an answer, 1 when the call fails (HTTP error, network, credentials), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from typing import Any, TextIO

import boto3
import httpx
from botocore.exceptions import BotoCoreError

from operator_tools.sigv4 import SigV4Auth, SigV4Error, region_from_function_url

URL_ENV = "LLM_API_URL"
MAX_TOKENS_LIMIT = 1_000_000


class UsageError(Exception):
    """A bad argument; ``str()`` is the message."""


class CallError(Exception):
    """The call failed; ``str()`` is the message."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scripts/invoke",
        description="Send one chat message to the inference API's Function URL (SigV4-signed) and print "
        "the answer.",
    )
    p.add_argument("prompt", nargs="?", help="the user message; omit it or give '-' to read it from stdin")
    p.add_argument("-m", "--model", help="public model id, as listed by --list-models")
    p.add_argument("--url", help=f"the Function URL (default: ${URL_ENV})")
    p.add_argument("--region", help="region to sign for (default: from the Function URL's host name)")
    p.add_argument("--profile", help="AWS profile to sign with (default: the usual credential chain)")
    p.add_argument("--max-tokens", type=int, help="upper bound on the answer's tokens")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the answer (120)")
    p.add_argument("--json", action="store_true", help="print the whole response as JSON")
    p.add_argument("--list-models", action="store_true", help="list the served model ids instead")
    p.add_argument(
        "--extra-body",
        metavar="JSON",
        help="a JSON object merged into the request body, e.g. a runtime override: "
        '\'{"model_overrides": {"model_kwargs": {"temperature": 0}}}\'',
    )
    p.add_argument(
        "--admin-identity",
        action="store_true",
        help="also send your presigned STS identity, which runtime overrides require",
    )
    return p


def extra_body(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as err:
        raise UsageError(f"--extra-body is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise UsageError("--extra-body must be a JSON object")
    reserved = sorted({"model", "messages"} & value.keys())
    if reserved:
        raise UsageError(f"--extra-body may not set {', '.join(reserved)} (use --model and the prompt)")
    return value


def base_url(url: str | None) -> str:
    """The Function URL without a trailing slash (or ``/v1``); refuses anything else with the reason."""
    if not url:
        raise UsageError(
            f"no Function URL: pass --url or set {URL_ENV} "
            f'(e.g. {URL_ENV}="$(terraform output -raw lambda_function_url)")'
        )
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL as err:
        raise UsageError(f"--url {url!r} is not a URL: {err}") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise UsageError(f"--url {url!r}: expected https://<url-id>.lambda-url.<region>.on.aws/")
    if parsed.scheme == "http" and not _is_loopback(parsed.host):
        raise UsageError(f"--url {url!r}: Function URLs are https; plain http is allowed only for localhost")
    if parsed.query or parsed.fragment:
        raise UsageError(f"--url {url!r}: give the base URL, without a query or fragment")
    path = parsed.path.rstrip("/")
    path = path.removesuffix("/v1")
    return str(parsed.copy_with(path=path or "/")).rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def signing_region(url: str, region: str | None) -> str:
    if region:
        return region
    found = region_from_function_url(url)
    if found is None:
        raise UsageError(
            f"cannot tell the region from {url!r} (not a *.lambda-url.<region>.on.aws host): pass --region"
        )
    return found


def read_prompt(prompt: str | None, stdin: TextIO) -> str:
    if prompt is None or prompt == "-":
        if stdin.isatty():
            raise UsageError("give the prompt as an argument, or pipe it on stdin")
        try:
            prompt = stdin.read()
        except UnicodeDecodeError:
            raise UsageError("stdin is not UTF-8 text") from None
    prompt = prompt.rstrip("\n")
    if not prompt.strip():
        raise UsageError("the prompt is empty")
    return prompt


def error_message(response: httpx.Response) -> str:
    """The message of an error response: OpenAI-shaped, AWS-shaped, or the start of the text."""
    try:
        payload: Any = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] or response.reason_phrase
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            code = error.get("code")
            return f"{error['message']} ({code})" if isinstance(code, str) and code else error["message"]
        for key in ("message", "Message"):
            if isinstance(payload.get(key), str):
                return str(payload[key])
    return json.dumps(payload)[:300]


def _call(client: httpx.Client, method: str, url: str, body: dict[str, Any] | None) -> httpx.Response:
    try:
        return client.request(method, url, json=body)
    except httpx.TimeoutException:
        raise CallError(f"no answer from {url} within the timeout (--timeout)") from None
    except httpx.HTTPError as err:
        raise CallError(f"cannot reach {url}: {err}") from None
    except (BotoCoreError, SigV4Error) as err:
        raise CallError(f"cannot sign the request: {err}") from None


def _check(response: httpx.Response, as_json: bool, out: TextIO) -> Any:
    if response.status_code >= 400:
        if as_json:
            out.write(response.text + ("\n" if not response.text.endswith("\n") else ""))
        hint = ""
        if response.status_code == 403:
            hint = (
                "; the signing principal needs both lambda:InvokeFunctionUrl and lambda:InvokeFunction "
                "(through the URL) on the function: attach the stack's caller_policy_json output to it "
                "(a principal in another account must also be in function_url.callers), and the signing "
                "region (--region) must be the function's"
            )
        raise CallError(f"HTTP {response.status_code}: {error_message(response)}{hint}")
    try:
        return response.json()
    except ValueError:
        raise CallError(f"HTTP {response.status_code} with a body that is not JSON") from None


def run(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> None:
    url = base_url(args.url or os.environ.get(URL_ENV))
    region = signing_region(url, args.region)
    if args.timeout <= 0:
        raise UsageError(f"--timeout must be a positive number of seconds (got {args.timeout})")
    if args.max_tokens is not None and not 1 <= args.max_tokens <= MAX_TOKENS_LIMIT:
        raise UsageError(f"--max-tokens must be between 1 and {MAX_TOKENS_LIMIT} (got {args.max_tokens})")
    body: dict[str, Any] | None = None
    if not args.list_models:
        if not args.model:
            raise UsageError("--model is required (see --list-models)")
        body = {
            "model": args.model,
            "messages": [{"role": "user", "content": read_prompt(args.prompt, stdin)}],
        }
        if args.max_tokens is not None:
            body["max_tokens"] = args.max_tokens
        body.update(extra_body(args.extra_body))
    elif args.extra_body is not None:
        raise UsageError("--extra-body applies to chat requests, not --list-models")
    try:
        session = boto3.Session(profile_name=args.profile) if args.profile else boto3.Session()
        auth = SigV4Auth(region=region, service="lambda", session=session, admin_identity=args.admin_identity)
    except BotoCoreError as err:  # e.g. an unknown profile
        raise UsageError(str(err)) from None
    except SigV4Error as err:
        raise CallError(str(err)) from None
    with httpx.Client(auth=auth, timeout=args.timeout) as client:
        if args.list_models:
            payload = _check(_call(client, "GET", f"{url}/v1/models", None), args.json, out)
            if args.json:
                out.write(json.dumps(payload, indent=2) + "\n")
            else:
                for model in payload.get("data", []) if isinstance(payload, dict) else []:
                    out.write(f"{model.get('id')}\n")
            return
        payload = _check(_call(client, "POST", f"{url}/v1/chat/completions", body), args.json, out)
    if args.json:
        out.write(json.dumps(payload, indent=2) + "\n")
        return
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise CallError("the answer has no choices[0].message.content (use --json to see it)") from None
    out.write(f"{content}\n" if isinstance(content, str) else json.dumps(content) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        run(args, sys.stdin, sys.stdout)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except CallError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
