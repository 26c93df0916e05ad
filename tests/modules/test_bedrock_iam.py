"""The compact Bedrock statements allow exactly the configured models: every request Bedrock can
make for them, and no other request Bedrock can make.

A small evaluator of Allow statements (actions, resource patterns, ArnLike conditions) judges
every possible call over a universe of models, profiles and regions, as Bedrock authorizes them:
a direct call needs the model's ARN in its region; a call through a system inference profile
needs the profile's ARN and the model in the region the profile routes it to, with the profile
in ``bedrock:InferenceProfileArn`` (a global profile: the model in the calling region and the
region-less model ARN).
"""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from lambda_src.bedrock_ids import parse_model_ref
from modules import bedrock_iam
from modules.bedrock_iam import GEO_REGIONS, InvokeTarget, invoke_grants, invoke_resources
from modules.grants import Grant

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
ACTION = "bedrock:InvokeModel"
BASES = (
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "amazon.nova-lite-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
)
REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
    "ca-central-1",
)


@dataclass(frozen=True)
class Check:
    resource: str
    profile: str | None = None  # bedrock:InferenceProfileArn of the request


def _matches(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def allowed(grants: Iterable[Grant], checks: tuple[Check, ...]) -> bool:
    """Every check of a request must be allowed by some statement."""

    def one(check: Check) -> bool:
        for g in grants:
            if ACTION not in g.actions or not any(
                _matches(p, check.resource) for p in g.concrete_resources()
            ):
                continue
            ok = True
            for test, key, values in g.conditions:
                assert test == "ArnLike" and key == bedrock_iam.PROFILE_CONDITION_KEY
                assert not isinstance(values, str)
                ok = ok and check.profile is not None and any(_matches(v, check.profile) for v in values)
            if ok:
                return True
        return False

    return all(one(c) for c in checks)


def fm(region: str, base: str) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{base}"


def profile(region: str, profile_id: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:bedrock:{region}:{account}:inference-profile/{profile_id}"


def possible_requests() -> dict[tuple[str, ...], tuple[Check, ...]]:
    """Every call Bedrock can make for the universe, keyed by a description."""
    requests: dict[tuple[str, ...], tuple[Check, ...]] = {}
    for base, region in itertools.product(BASES, REGIONS):
        requests[("direct", base, region)] = (Check(fm(region, base)),)
    for base, geo in itertools.product(BASES, ("us", "eu", "apac")):
        for calling, account in itertools.product(GEO_REGIONS[geo], (ACCOUNT, OTHER_ACCOUNT)):
            arn = profile(calling, f"{geo}.{base}", account)
            for destination in GEO_REGIONS[geo]:
                requests[("profile", geo, base, calling, account, destination)] = (
                    Check(arn),
                    Check(fm(destination, base), arn),
                )
    for base, calling in itertools.product(BASES, REGIONS):
        arn = profile(calling, f"global.{base}")
        requests[("global", base, calling)] = (
            Check(arn),
            Check(fm(calling, base), arn),
            Check(f"arn:aws:bedrock:::foundation-model/{base}", arn),
        )
    return requests


CONFIGURED = [
    ("amazon.nova-lite-v1:0", "us-east-1"),
    ("us.anthropic.claude-haiku-4-5-20251001-v1:0", "us-east-1"),
    ("eu.meta.llama3-1-70b-instruct-v1:0", "eu-west-1"),
    ("global.amazon.nova-lite-v1:0", "us-west-2"),
]


def intended(key: tuple[str, ...]) -> bool:
    """What the configuration means: exactly these calls."""
    kind = key[0]
    if kind == "direct":
        return (key[1], key[2]) in CONFIGURED
    if kind == "profile":
        _, geo, base, calling, account, _destination = key
        return account == ACCOUNT and (f"{geo}.{base}", calling) in CONFIGURED
    _, base, calling = key
    return (f"global.{base}", calling) in CONFIGURED


def targets() -> list[InvokeTarget]:
    return [InvokeTarget(ref=parse_model_ref(m), region=r, account=ACCOUNT) for m, r in CONFIGURED]


def test_compact_statements_allow_exactly_the_configured_models() -> None:
    grants = invoke_grants(targets())
    for key, checks in possible_requests().items():
        assert allowed(grants, checks) == intended(key), key


def test_compact_statements_allow_no_more_than_the_expanded_ones() -> None:
    expanded = [
        Grant(
            "Expanded",
            (ACTION,),
            tuple(
                r
                for m, region in CONFIGURED
                for r in invoke_resources(parse_model_ref(m), region=region, account=ACCOUNT)
            ),
        )
    ]
    compact = invoke_grants(targets())
    for key, checks in possible_requests().items():
        if allowed(compact, checks):
            assert allowed(expanded, checks), key
    # the expanded form also allowed direct calls to the profiles' models in other regions
    assert allowed(expanded, (Check(fm("us-west-2", BASES[0])),))
    assert not allowed(compact, (Check(fm("us-west-2", BASES[0])),))


def test_compact_statements_name_each_model_once() -> None:
    grants = {g.sid: g for g in invoke_grants(targets())}
    through = grants[bedrock_iam.THROUGH_PROFILES_SID]
    assert sorted(through.concrete_resources()) == sorted(
        [
            fm("*", BASES[0]),
            fm("*", "meta.llama3-1-70b-instruct-v1:0"),
            fm("*", "amazon.nova-lite-v1:0"),
            "arn:aws:bedrock:::foundation-model/amazon.nova-lite-v1:0",
        ]
    )
    assert through.conditions == (
        (
            "ArnLike",
            "bedrock:InferenceProfileArn",
            (
                profile("us-east-1", "*"),
                profile("eu-west-1", "*"),
                profile("us-west-2", "*"),
            ),
        ),
    )
