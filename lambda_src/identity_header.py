"""The wire contract of an admin's presigned identity, shared by the function
(:mod:`lambda_src.admin_identity`) and the clients that send it (``operator_tools/sigv4.py``).
No imports, so a client can carry this file alone."""

from __future__ import annotations

import re

# The header carrying the presigned ``sts:GetCallerIdentity`` URL.
HEADER = "x-llm-api-admin-identity"
# A header the signature must cover: the host name of the API the token was made for.
AUDIENCE_HEADER = "x-llm-api-audience"
STS_VERSION = "2011-06-15"
MAX_EXPIRES_SECONDS = 900

_REGION = re.compile(r"^(?:[a-z]{2}|us-gov)-[a-z]+-\d{1,2}$")


def sts_host(region: str) -> str:
    """The regional STS host name a token must be presigned for."""
    if not _REGION.match(region):
        raise ValueError(f"{region!r} is not a region this check supports")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"sts.{region}.{suffix}"
