"""Base URLs and headers an openai_compatible provider may be given."""

from __future__ import annotations

import pytest

from lambda_src.openai_compatible import base_url_problem, header_problem


@pytest.mark.parametrize(
    "url",
    ["https://api.groq.com/openai/v1", "https://api.deepseek.com", "https://vllm.internal:8443/v1"],
)
def test_https_urls_are_taken_anywhere(url: str) -> None:
    assert base_url_problem(url, allow_loopback=False) is None


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/v1", "http://localhost/v1", "http://[::1]:9/v1", "http://127.4.5.6/"]
)
def test_loopback_http_only_where_allowed(url: str) -> None:
    assert base_url_problem(url, allow_loopback=True) is None
    assert "only for a loopback host" in (base_url_problem(url, allow_loopback=False) or "")


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost.attacker.example/v1",
        "http://10.0.0.5:8000/v1",
        "http://169.254.169.254/latest",
        "https://169.254.169.254/latest",
        "https://[fe80::1]/v1",
        "http://0.0.0.0:8000/v1",
        "ftp://api.example.com",
        "api.groq.com/openai/v1",
        "https://api.example.com/v1?key=x",
        "https://user:pw@api.example.com",
        "https://api.example.com:99999",
    ],
)
def test_other_urls_are_refused_even_for_the_local_server(url: str) -> None:
    assert base_url_problem(url, allow_loopback=True) is not None


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("Authorization", "Bearer x", "looks like a credential"),
        ("x-goog-api-key", "x", "looks like a credential"),
        ("X-Access-Token", "x", "looks like a credential"),
        ("Cookie", "a=b", "looks like a credential"),
        ("Content-Length", "5", "set by the HTTP client"),
        ("Bad Name", "x", "letters, digits and hyphens"),
        ("X-Team", "line\r\nbreak", "printable ASCII"),
    ],
)
def test_headers_that_carry_credentials_or_belong_to_the_client_are_refused(
    name: str, value: str, fragment: str
) -> None:
    assert fragment in (header_problem(name, value) or "")


def test_plain_headers_are_taken() -> None:
    assert header_problem("X-Team", "search") is None
    assert header_problem("OpenAI-Organization", "org-1") is None
