"""Who is calling: the IAM principal the Function URL's IAM authorizer put in the event.

With ``AWS_IAM`` auth, ``requestContext.authorizer.iam.userArn`` is the signer: an IAM user
(``arn:aws:iam::<account>:user/<path/>name``) or an assumed-role session
(``arn:aws:sts::<account>:assumed-role/<role name>/<session>``). A session stands for its role,
so it matches a configured role ARN of the same partition, account and role name. Role ARNs may
carry a path (``role/team/Admin``) that session ARNs never show; role names are unique within an
account whatever their path, so the path is not compared. Every other principal (users, the
account root, federated users) is compared exactly. Without IAM auth there is no principal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_SESSION = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/[^/]+$")
_ROLE = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$")


def caller_arn(event: Mapping[str, Any]) -> str | None:
    """``requestContext.authorizer.iam.userArn``, or None (auth ``NONE``, or a malformed event)."""
    context = event.get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    iam = authorizer.get("iam") if isinstance(authorizer, Mapping) else None
    arn = iam.get("userArn") if isinstance(iam, Mapping) else None
    return arn if isinstance(arn, str) and arn else None


def principal_key(arn: str) -> tuple[str, ...]:
    """What identifies ``arn`` for comparison: (partition, account, role name) for roles and
    their sessions, the ARN itself for anything else."""
    m = _SESSION.match(arn) or _ROLE.match(arn)
    if m:
        return ("role", m.group(1), m.group(2), m.group(3))
    return ("exact", arn)


def is_one_of(caller: str | None, principals: Iterable[str]) -> bool:
    if not caller:
        return False
    key = principal_key(caller)
    return any(principal_key(p) == key for p in principals)
