"""AWS service limits the synthesized Terraform must respect, checked before anything is written.

Each limit is written once here, with where it comes from; the checks raise :class:`LimitError`
naming the config field that drives the value and the limit it passes. Pure Python (no cdktf),
so ``main.py`` runs every check before it builds a package or writes a file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

# IAM and AWS STS quotas ("IAM object quotas", checked 2026-11-29). Sizes are characters of the
# policy JSON without white space, which is how IAM counts them.
ROLE_INLINE_POLICIES_MAX = 10_240  # all inline policies of one role together; not adjustable
MANAGED_POLICY_MAX = 6_144  # one customer managed policy; not adjustable
MANAGED_POLICIES_PER_ROLE = 10  # default quota; adjustable up to 20
MANAGED_POLICIES_PER_ROLE_MAX = 20
TRUST_POLICY_MAX = 2_048  # a role's trust policy; default quota, adjustable up to 4,096
TRUST_POLICY_MAX_ADJUSTED = 4_096
POLICY_NAME_MAX = 128
# Lambda: all environment variables together, measured as the JSON object of the variables.
LAMBDA_ENVIRONMENT_MAX = 4_096
LAMBDA_LAYER_NAME_MAX = 140
# Tags per resource (IAM, Lambda, S3, SageMaker, Secrets Manager, Logs all allow at least 50).
TAGS_PER_RESOURCE = 50
# aws_s3_bucket.bucket_prefix: the provider appends 26 characters and a bucket name has at most 63.
S3_BUCKET_PREFIX_MAX = 37

_TERRAFORM_EXPRESSION = re.compile(r"\$\{[^}]*\}")


class LimitError(ValueError):
    """A value the config produces is over an AWS limit; ``str()`` names the field and the limit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def rendered_length(text: str, expressions: Mapping[str, int]) -> int:
    """Length of ``text`` once Terraform has replaced each ``${...}`` expression in it.

    ``expressions`` maps every expression the text may contain to the length of its longest
    value (an account id is 12 characters); an expression not listed is an error, so a size is
    never guessed.
    """
    size = len(text)
    for expression in set(_TERRAFORM_EXPRESSION.findall(text)):
        if expression not in expressions:
            raise ValueError(f"no known length for the Terraform expression {expression}")
        size += text.count(expression) * (expressions[expression] - len(expression))
    return size


def environment_size(variables: Mapping[str, str], expressions: Mapping[str, int]) -> int:
    """Size of a function's environment as Lambda measures it (the JSON of the variables)."""
    return rendered_length(json.dumps(dict(variables), separators=(",", ":")), expressions)


def check_environment(variables: Mapping[str, str], expressions: Mapping[str, int], *, field: str) -> int:
    size = environment_size(variables, expressions)
    if size > LAMBDA_ENVIRONMENT_MAX:
        largest = sorted(variables, key=lambda k: -len(variables[k]))[:3]
        raise LimitError(
            field,
            f"the function's environment variables take {size:,} bytes; Lambda allows "
            f"{LAMBDA_ENVIRONMENT_MAX:,} in total (largest: {', '.join(largest)})",
        )
    return size


def check_tag_count(count: int, *, field: str, what: str) -> None:
    if count > TAGS_PER_RESOURCE:
        raise LimitError(
            field,
            f"{what} would carry {count} tags (the provider's default tags included); AWS allows "
            f"{TAGS_PER_RESOURCE} per resource",
        )


def check_name(name: str, limit: int, *, field: str, what: str) -> None:
    if len(name) > limit:
        raise LimitError(field, f"the {what} {name!r} is {len(name)} characters; AWS allows {limit}")
