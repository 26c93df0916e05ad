"""Who is calling: the IAM principal the Function URL's IAM authorizer names (read from the
request context by :mod:`lambda_src.request_context`), and how it is compared with admin ARNs.

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
from collections.abc import Iterable

_SESSION = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/[^/]+$")
_ROLE = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$")


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
