"""Providers that speak OpenAI's chat completions API at a base URL of their own.

vLLM and TGI servers, DeepSeek, Groq, Together, Fireworks, xAI, Gemini's OpenAI endpoint and
the like: one provider kind, ``openai_compatible``, each entry named by the deployment, with a
base URL, the name of its key in the API-keys secret, optional extra headers and its models.
The rules here are shared by the deployment config (synth) and the function (run time):

- the base URL is ``https://``; plain ``http://`` is accepted only for a loopback host
  (127.0.0.0/8, ``localhost``, ``[::1]``) and only where the caller allows it: ``scripts/serve``
  and tests, never a synthesized deployment;
- headers carry no credentials: a name that looks like one (``Authorization``, ``*-Key``,
  ``*Token*``, ``Cookie``, ...) is refused with a pointer to the keys secret, and names the HTTP
  client owns (``Host``, ``Content-Length``, ...) are refused too.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

PROVIDER = "openai_compatible"
MAX_HEADERS = 20
ProviderName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
# A key of the API-keys secret, as the other providers' keys are named (GROQ_API_KEY).
KeyName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]

_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_HEADER_VALUE = re.compile(r"^[\x20-\x7e]{0,1024}$")
_CREDENTIAL = re.compile(r"auth|key|token|secret|passw|cookie|session|credential|signature", re.IGNORECASE)
_CLIENT_OWNED = frozenset(
    {"host", "content-length", "content-type", "transfer-encoding", "connection", "accept-encoding", "te"}
    | {"upgrade", "user-agent", "proxy-connection", "keep-alive", "expect"}
)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_link_local(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_link_local or address.is_unspecified


def base_url_problem(url: str, *, allow_loopback: bool) -> str | None:
    """Why ``url`` cannot be a provider's base URL, or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError:
        return "it is not a URL"
    if parts.query or parts.fragment or parts.username or parts.password or not host:
        return "it must be scheme://host[:port][/path], with no credentials, query or fragment"
    if _is_link_local(host):
        return "it names a link-local address (instance metadata and the like), not a provider"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and is_loopback(host):
        if allow_loopback:
            return None
        return (
            "plain http is accepted only for a loopback host under scripts/serve and in tests; "
            "a deployed function calls providers over https"
        )
    return "it must start with https://"


def header_problem(name: str, value: str) -> str | None:
    """Why ``name: value`` cannot be an extra header, or None."""
    if not _HEADER_NAME.match(name):
        return f"header name {name!r} must be letters, digits and hyphens (at most 64)"
    if _CREDENTIAL.search(name):
        return (
            f"header {name!r} looks like a credential; credentials stay in the API-keys secret "
            "(api_key_name), never in the config"
        )
    if name.lower() in _CLIENT_OWNED:
        return f"header {name!r} is set by the HTTP client and cannot be configured"
    if not _HEADER_VALUE.match(value):
        return f"the value of header {name!r} must be printable ASCII of at most 1024 characters"
    return None


def _checked_headers(headers: dict[str, str]) -> dict[str, str]:
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem:
            raise ValueError(problem)
    lowered = [n.lower() for n in headers]
    if len(set(lowered)) != len(lowered):
        raise ValueError("headers: each name may appear once (names are case-insensitive)")
    return headers


def _https_or_loopback(url: str) -> str:
    # The inventory admits what any caller could allow; the function checks again with its setting.
    problem = base_url_problem(url, allow_loopback=True)
    if problem:
        raise ValueError(f"base_url {url!r}: {problem}")
    return url


Headers = Annotated[dict[str, str], Field(max_length=MAX_HEADERS), AfterValidator(_checked_headers)]


class OpenAICompatibleConnection(BaseModel):
    """Where an ``openai_compatible`` model is served and which key of the secret it takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ProviderName
    base_url: Annotated[str, StringConstraints(max_length=2048), AfterValidator(_https_or_loopback)]
    api_key_name: KeyName
    headers: Headers = Field(default_factory=dict)
