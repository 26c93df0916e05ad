"""scripts/invoke against a loopback Function URL that verifies every signature."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from lambda_src import admin_identity
from operator_tools import invoke
from tests.fakes.signed_function_url import FakeSignedFunctionUrl
from tests.fakes.sigv4_verifier import verify_presigned
from tests.operator_tools.conftest import ACCESS_KEY, SECRET_KEY
from tests.support import REPO_ROOT


class Stdin(io.StringIO):
    def __init__(self, text: str = "", tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture
def server(aws_env: dict[str, str]) -> Iterator[FakeSignedFunctionUrl]:
    with FakeSignedFunctionUrl({ACCESS_KEY: SECRET_KEY}) as fake:
        yield fake


def call(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", Stdin(stdin, tty=not stdin))
    code = invoke.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_prompt_argument_prints_the_answer(
    server: FakeSignedFunctionUrl, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "--url",
        server.url + "/",
        "--region",
        "eu-west-1",
        "--model",
        "claude",
        "--max-tokens",
        "50",
        "Hi",
    ]
    code, out, err = call(argv, monkeypatch, capsys)
    assert (code, out, err) == (0, "echo: Hi\n", "")
    [request] = server.received
    assert request.verified is not None
    assert (request.verified.region, request.verified.service) == ("eu-west-1", "lambda")
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.json == {
        "model": "claude",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 50,
    }


def test_prompt_from_stdin_and_json_output(
    server: FakeSignedFunctionUrl, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(invoke.URL_ENV, server.url)
    code, out, _ = call(
        ["--region", "us-east-1", "-m", "claude", "--json"], monkeypatch, capsys, "two\nlines\n"
    )
    assert code == 0
    answer = json.loads(out)
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["content"] == "echo: two\nlines"


def test_an_api_error_prints_its_message_and_exits_1(
    server: FakeSignedFunctionUrl, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = call(
        ["--url", server.url, "--region", "us-east-1", "-m", "nope", "Hi"], monkeypatch, capsys
    )
    assert (code, out) == (1, "")
    assert err == "error: HTTP 404: model 'nope' does not exist (model_not_found)\n"


def test_a_rejected_signature_explains_the_403(
    aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeSignedFunctionUrl({ACCESS_KEY: "not-the-secret"}) as fake:
        code, _, err = call(
            ["--url", fake.url, "--region", "us-east-1", "-m", "claude", "Hi"], monkeypatch, capsys
        )
    assert code == 1
    assert err.startswith("error: HTTP 403: Forbidden. The request signature we calculated does not match.")
    # one action alone is not enough since October 2025: the hint names both and the ready policy
    assert "both lambda:InvokeFunctionUrl and lambda:InvokeFunction" in err
    assert "caller_policy_json" in err


def test_list_models(
    server: FakeSignedFunctionUrl, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = call(["--url", server.url, "--region", "us-east-1", "--list-models"], monkeypatch, capsys)
    assert (code, out) == (0, "claude\nmistral-7b\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-m", "claude", "Hi"], "no Function URL: pass --url or set LLM_API_URL"),
        (
            ["--url", "http://abc.lambda-url.us-east-1.on.aws/", "-m", "c", "Hi"],
            "plain http is allowed only for localhost",
        ),
        (
            ["--url", "https://api.example.com/", "-m", "c", "Hi"],
            "cannot tell the region from 'https://api.example.com'",
        ),
        (
            ["--url", "https://a.lambda-url.us-east-1.on.aws/?x=1", "-m", "c", "Hi"],
            "without a query or fragment",
        ),
        (["--url", "https://a.lambda-url.us-east-1.on.aws/", "Hi"], "--model is required"),
        (["--url", "https://a.lambda-url.us-east-1.on.aws/", "-m", "c", "  "], "the prompt is empty"),
        (
            ["--url", "https://a.lambda-url.us-east-1.on.aws/", "-m", "c"],
            "give the prompt as an argument, or pipe it",
        ),
        (
            ["--url", "https://a.lambda-url.us-east-1.on.aws/", "-m", "c", "--max-tokens", "0", "Hi"],
            "--max-tokens must be",
        ),
    ],
)
def test_usage_errors_exit_2(
    aws_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    code, out, err = call(argv, monkeypatch, capsys)
    assert (code, out) == (2, "")
    assert message in err and "Traceback" not in err


def test_admin_identity_and_extra_body_carry_a_runtime_override(
    server: FakeSignedFunctionUrl, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = {"model_overrides": {"model_kwargs": {"temperature": 0}}}
    argv = ["--url", server.url, "--region", "eu-west-1", "-m", "claude", "--admin-identity"]

    code, _, err = call([*argv, "--extra-body", json.dumps(overrides), "Hi"], monkeypatch, capsys)

    assert (code, err) == (0, "")
    [request] = server.received
    assert request.json["model_overrides"] == overrides["model_overrides"]
    token = request.headers[admin_identity.HEADER]
    # A presigned GetCallerIdentity for the region's STS, signed with the same credentials and
    # bound to the host called: what STS (here, the independent verifier) accepts.
    url = urlsplit(token)
    assert url.netloc == "sts.eu-west-1.amazonaws.com"
    headers = {"host": url.netloc, admin_identity.AUDIENCE_HEADER: "127.0.0.1"}
    verified = verify_presigned(
        "GET", url.path, url.query, headers, {ACCESS_KEY: SECRET_KEY}, now=time.time()
    )
    assert (verified.region, verified.service) == ("eu-west-1", "sts")
    admin_identity.parse(token, url.netloc, now=time.time())
    # Without the flag no identity leaves the machine.
    call([*argv[:-1], "Hi"], monkeypatch, capsys)
    assert admin_identity.HEADER not in server.received[-1].headers


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[1]", "must be a JSON object"),
        ("{nope", "not valid JSON"),
        ('{"model": "other"}', "may not set model"),
    ],
)
def test_a_bad_extra_body_is_a_usage_error(
    aws_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: str,
    message: str,
) -> None:
    argv = ["--url", "https://a.lambda-url.us-east-1.on.aws/", "-m", "c", "--extra-body", extra, "Hi"]
    code, _, err = call(argv, monkeypatch, capsys)
    assert code == 2 and message in err


def test_base_url_accepts_the_terraform_output_and_a_v1_suffix() -> None:
    assert (
        invoke.base_url("https://abc.lambda-url.us-west-2.on.aws/")
        == "https://abc.lambda-url.us-west-2.on.aws"
    )
    assert (
        invoke.base_url("https://abc.lambda-url.us-west-2.on.aws/v1/")
        == "https://abc.lambda-url.us-west-2.on.aws"
    )
    assert invoke.signing_region("https://abc.lambda-url.us-west-2.on.aws", None) == "us-west-2"


def test_the_script_entry_point(server: FakeSignedFunctionUrl) -> None:
    done = subprocess.run(
        [str(REPO_ROOT / "scripts" / "invoke"), "--url", server.url, "--region", "us-east-1", "-m", "claude"],
        input="from a pipe",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "echo: from a pipe\n", "")
