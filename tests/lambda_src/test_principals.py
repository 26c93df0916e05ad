"""The caller's IAM principal from the adapter's request context, and how it is compared with admin ARNs."""

from __future__ import annotations

import json

import pytest

from lambda_src.principals import is_one_of, principal_key
from lambda_src.request_context import from_headers
from tests.fakes.function_url import adapter_headers


def caller_arn(request_context: object) -> str | None:
    headers = [(b"x-amzn-request-context", json.dumps(request_context).encode())]
    return from_headers(headers, default_timeout=30).caller_arn


ADMINS = (
    "arn:aws:iam::111122223333:role/platform/team/Admin",
    "arn:aws:iam::111122223333:user/alice",
)


def test_the_caller_comes_from_the_iam_authorizer() -> None:
    arn = "arn:aws:sts::111122223333:assumed-role/Admin/session-1"

    headers = [(k.encode(), v.encode()) for k, v in adapter_headers(arn).items()]
    assert from_headers(headers, default_timeout=30).caller_arn == arn


@pytest.mark.parametrize(
    "context",
    [
        {},
        {"authorizer": None},
        {"authorizer": {"iam": None}},
        {"authorizer": {"iam": {"userArn": ""}}},
        {"authorizer": {"iam": {"userArn": 42}}},
    ],
)
def test_no_iam_authorizer_no_caller(context: dict[str, object]) -> None:
    assert caller_arn(context) is None


@pytest.mark.parametrize(
    ("caller", "admin"),
    [
        # A session stands for its role, whatever the role's path.
        ("arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com", True),
        ("arn:aws:iam::111122223333:role/Admin", True),
        # Users are compared exactly.
        ("arn:aws:iam::111122223333:user/alice", True),
        ("arn:aws:iam::111122223333:user/path/alice", False),
        ("arn:aws:iam::111122223333:user/Alice", False),
        # Same name, another account or partition; similar names; other principal kinds.
        ("arn:aws:sts::999988887777:assumed-role/Admin/alice", False),
        ("arn:aws-cn:sts::111122223333:assumed-role/Admin/alice", False),
        ("arn:aws:sts::111122223333:assumed-role/Admins/alice", False),
        ("arn:aws:sts::111122223333:assumed-role/admin/alice", False),
        ("arn:aws:sts::111122223333:federated-user/Admin", False),
        ("arn:aws:iam::111122223333:root", False),
        (None, False),
    ],
)
def test_admin_matching(caller: str | None, admin: bool) -> None:
    assert is_one_of(caller, ADMINS) is admin


def test_principal_keys() -> None:
    assert principal_key("arn:aws:iam::111122223333:role/a/b/Name") == ("role", "aws", "111122223333", "Name")
    assert principal_key("arn:aws:sts::111122223333:assumed-role/Name/s") == (
        "role",
        "aws",
        "111122223333",
        "Name",
    )
    assert principal_key("arn:aws:iam::111122223333:user/u") == ("exact", "arn:aws:iam::111122223333:user/u")
