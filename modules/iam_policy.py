"""IAM policy documents as data: rendered to the exact JSON IAM receives, measured against IAM's
quotas, and split over a role's inline policy and attached managed policies when one is not enough.

The stacks put the rendered text in the policy resources themselves (instead of a policy-document
data source), so the size checked here at synth is the size IAM sees at apply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from modules import aws_limits
from modules.grants import Grant, TerraformList

VERSION = "2012-10-17"


def statement(grant: Grant) -> dict[str, Any]:
    """The IAM JSON of one Allow statement."""
    out: dict[str, Any] = {
        "Sid": grant.sid,
        "Effect": "Allow",
        "Action": list(grant.actions),
        "Resource": list(grant.concrete_resources()),
    }
    conditions: dict[str, dict[str, list[str]]] = {}
    for test, variable, values in grant.conditions:
        if isinstance(values, TerraformList):
            raise TypeError(f"statement {grant.sid} has a Terraform list as condition values")
        conditions.setdefault(test, {})[variable] = list(values)
    if conditions:
        out["Condition"] = conditions
    return out


def document(grants: Sequence[Grant]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": [statement(g) for g in grants]}


def render(grants: Sequence[Grant]) -> str:
    """Compact JSON: what IAM stores and counts (IAM does not count white space)."""
    return json.dumps(document(grants), separators=(",", ":"))


@dataclass(frozen=True)
class PolicySet:
    """A role's permissions: one inline policy plus managed policies to attach, in order."""

    inline: tuple[Grant, ...]
    managed: tuple[tuple[Grant, ...], ...] = ()

    def documents(self) -> list[tuple[Grant, ...]]:
        return [self.inline, *self.managed]


def split(
    grants: Sequence[Grant],
    *,
    expressions: Mapping[str, int],
    managed_policies_max: int,
    field: str,
    role: str,
) -> PolicySet:
    """Fill the role's inline policy, then managed policies, splitting a statement's resources
    where it does not fit whole; raises :class:`LimitError` when even ``managed_policies_max``
    managed policies cannot hold them."""

    def size(docs: Sequence[Grant]) -> int:
        return aws_limits.rendered_length(render(docs), expressions)

    policies: list[list[Grant]] = [[]]
    for grant in grants:
        pieces = 1
        remaining: Grant | None = grant
        while remaining is not None:
            current = policies[-1]
            cap = aws_limits.ROLE_INLINE_POLICIES_MAX if len(policies) == 1 else aws_limits.MANAGED_POLICY_MAX
            fit = _resources_that_fit(remaining, current, cap, size)
            if fit == len(remaining.concrete_resources()):
                current.append(remaining)
                break
            if fit:
                resources = remaining.concrete_resources()
                current.append(replace(remaining, resources=resources[:fit]))
                pieces += 1
                remaining = replace(remaining, sid=f"{grant.sid}{pieces}", resources=resources[fit:])
            elif not current:
                raise aws_limits.LimitError(
                    field,
                    f"statement {remaining.sid} of the {role} role's policy does not fit one IAM policy "
                    f"even with a single resource ({aws_limits.MANAGED_POLICY_MAX:,} characters)",
                )
            if len(policies) > managed_policies_max:
                raise aws_limits.LimitError(
                    field,
                    f"the {role} role's permissions take {size(grants):,} characters of IAM policy: its "
                    f"inline policy ({aws_limits.ROLE_INLINE_POLICIES_MAX:,}) and {managed_policies_max} "
                    f"managed policies ({aws_limits.MANAGED_POLICY_MAX:,} each) cannot hold them. IAM "
                    f"attaches at most {managed_policies_max} managed policies to a role (quota 'Managed "
                    f"policies per role', adjustable up to {aws_limits.MANAGED_POLICIES_PER_ROLE_MAX}: raise "
                    "it in Service Quotas and set quotas.managed_policies_per_role), or serve fewer models "
                    "per deployment",
                )
            policies.append([])
    docs = [tuple(p) for p in policies if p]
    return PolicySet(inline=docs[0] if docs else (), managed=tuple(docs[1:]))


def _resources_that_fit(
    grant: Grant, current: list[Grant], cap: int, size: Callable[[Sequence[Grant]], int]
) -> int:
    """How many of the grant's resources, from the first, fit beside ``current`` within ``cap``."""
    resources = grant.concrete_resources()
    if size([*current, grant]) <= cap:
        return len(resources)
    low, high = 0, len(resources) - 1  # the largest n with a fitting part (monotonic in n)
    while low < high:
        mid = (low + high + 1) // 2
        if size([*current, replace(grant, resources=resources[:mid])]) <= cap:
            low = mid
        else:
            high = mid - 1
    return low


def check_inline(grants: Sequence[Grant], *, expressions: Mapping[str, int], field: str, role: str) -> int:
    """For roles with one inline policy only: its size, or :class:`LimitError` above IAM's limit."""
    size = aws_limits.rendered_length(render(grants), expressions)
    if size > aws_limits.ROLE_INLINE_POLICIES_MAX:
        raise aws_limits.LimitError(
            field,
            f"the {role} role's inline policy would be {size:,} characters; IAM allows "
            f"{aws_limits.ROLE_INLINE_POLICIES_MAX:,} for a role's inline policies",
        )
    return size


def check_trust(text: str, *, expressions: Mapping[str, int], limit: int, field: str, role: str) -> int:
    size = aws_limits.rendered_length(text, expressions)
    if size > limit:
        hint = (
            f" (quota 'Role trust policy length', adjustable up to {aws_limits.TRUST_POLICY_MAX_ADJUSTED:,}: "
            "raise it in Service Quotas and set quotas.role_trust_policy_chars)"
            if limit < aws_limits.TRUST_POLICY_MAX_ADJUSTED
            else ""
        )
        raise aws_limits.LimitError(
            field, f"the {role} role's trust policy would be {size:,} characters; IAM allows {limit:,}{hint}"
        )
    return size
