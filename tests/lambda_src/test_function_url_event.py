"""The fake Function URL event reads back, through powertools' own data class, as AWS's would."""

from __future__ import annotations

import base64
import json

from aws_lambda_powertools.utilities.data_classes import LambdaFunctionUrlEvent

from tests.fakes.function_url import make_event


def test_request_line_and_iam_caller() -> None:
    caller = "arn:aws:iam::444455556666:user/ci-bot"

    event = LambdaFunctionUrlEvent(make_event("post", "/v1/models?a=1&a=2&b=", {"x": 1}, caller_arn=caller))

    assert (event.http_method, event.path, event.raw_query_string) == ("POST", "/v1/models", "a=1&a=2&b=")
    assert event.query_string_parameters == {"a": "1,2", "b": ""}
    assert event.json_body == {"x": 1}
    assert event.headers["content-type"] == "application/json"
    iam = event.request_context.authorizer.iam
    assert (iam.user_arn, iam.account_id) == (caller, "444455556666")
    assert iam.access_key.startswith("AKIA")
    assert iam.caller_id.startswith("AIDA")


def test_assumed_role_caller_has_temporary_keys() -> None:
    caller = "arn:aws:sts::111122223333:assumed-role/app-role/session-1"

    iam = LambdaFunctionUrlEvent(
        make_event("GET", "/health", caller_arn=caller)
    ).request_context.authorizer.iam

    assert iam.access_key.startswith("ASIA")
    assert iam.caller_id.endswith(":session-1")


def test_no_body_no_query_means_keys_absent() -> None:
    event = make_event("GET", "/health")

    assert "body" not in event
    assert "queryStringParameters" not in event
    assert event["isBase64Encoded"] is False
    assert event["rawQueryString"] == ""


def test_binary_and_base64_bodies() -> None:
    binary = LambdaFunctionUrlEvent(make_event("POST", "/x", b"\x00\xffdata"))
    text = LambdaFunctionUrlEvent(make_event("POST", "/x", '{"a": "é"}', is_base64=True))

    assert binary.is_base64_encoded
    assert base64.b64decode(binary["body"]) == b"\x00\xffdata"
    assert text.is_base64_encoded
    assert json.loads(text.decoded_body) == {"a": "é"}
    assert text.headers["content-length"] == str(len('{"a": "é"}'.encode()))


def test_headers_are_lower_cased_and_cookies_split() -> None:
    event = make_event("GET", "/health", headers={"X-Custom": "1", "Cookie": "a=1; b=2"})

    assert event["headers"]["x-custom"] == "1"
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
