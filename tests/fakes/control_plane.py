"""Loopback fakes of the AWS control-plane APIs preflight calls where moto has no coverage.

- ``FakeServiceQuotas``: Service Quotas, JSON 1.1 (``X-Amz-Target: ServiceQuotasV20190624.<Op>``),
  ``ListServiceQuotas`` / ``ListAWSDefaultServiceQuotas`` with real ``NextToken`` paging.
- ``FakeBedrock``: the Bedrock control plane, REST-JSON: ``GetFoundationModelAvailability``,
  ``GetInferenceProfile`` and the custom / provisioned / imported model lookups.
- ``FakeSts``: STS, the query protocol with XML answers: ``GetCallerIdentity`` and an
  ``AssumeRole`` that enforces who may assume what (moto's STS lets anyone assume any role).
  A presigned ``GetCallerIdentity`` (``GET`` with the signature in the query, as admins send
  their identity) is verified as STS verifies it, against ``identities``: moto answers any
  request with its default identity, whoever signed it.
- ``FakeIamSimulator``: IAM's ``SimulatePrincipalPolicy`` over identity policies it is given.

Reach them with ``AWS_ENDPOINT_URL_SERVICE_QUOTAS`` / ``AWS_ENDPOINT_URL_BEDROCK`` /
``AWS_ENDPOINT_URL_STS`` / ``AWS_ENDPOINT_URL_IAM``. Each answers per region, taken from the request's SigV4 credential scope,
and records the access key id each request was signed with.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from tests.fakes.loopback import LoopbackServer
from tests.fakes.sigv4_verifier import SignatureMismatch, verify_presigned

_SCOPE = re.compile(r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")


@dataclass(frozen=True)
class Call:
    operation: str
    region: str
    access_key_id: str
    params: dict[str, Any]


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class _Loopback(LoopbackServer):
    """A threaded HTTP server on 127.0.0.1; subclasses implement ``handle``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def record(self, operation: str, headers: dict[str, str], params: dict[str, Any]) -> Call:
        m = _SCOPE.search(headers.get("authorization", ""))
        call = Call(operation, m.group("region") if m else "", m.group("key") if m else "", params)
        with self._lock:
            self.calls.append(call)
        return call

    def calls_of(self, operation: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.operation == operation]

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        raise NotImplementedError

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        split = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        answer = self.handle(handler.command, split.path, split.query, headers, body)
        handler.send_response(answer.status)
        for key, value in answer.headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        handler.end_headers()
        handler.wfile.write(answer.body)


# --- Service Quotas ----------------------------------------------------------------------------------


def sagemaker_quota(
    instance_type: str, value: float, *, code: str | None = None, adjustable: bool = True
) -> dict[str, Any]:
    """One quota as ListServiceQuotas returns it."""
    code = code or f"L-{zlib.crc32(instance_type.encode()):08X}"
    return {
        "ServiceCode": "sagemaker",
        "ServiceName": "Amazon SageMaker",
        "QuotaArn": f"arn:aws:servicequotas:us-east-1:123456789012:sagemaker/{code}",
        "QuotaCode": code,
        "QuotaName": f"{instance_type} for endpoint usage",
        "Value": float(value),
        "Unit": "None",
        "Adjustable": adjustable,
        "GlobalQuota": False,
    }


class FakeServiceQuotas(_Loopback):
    """``applied`` / ``defaults``: region -> quotas; pages of ``page_size`` whatever MaxResults says."""

    def __init__(self, page_size: int = 2) -> None:
        super().__init__()
        self.applied: dict[str, list[dict[str, Any]]] = {}
        self.defaults: dict[str, list[dict[str, Any]]] = {}
        self.page_size = page_size
        self.deny: set[str] = set()

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        target = headers.get("x-amz-target", "")
        operation = target.removeprefix("ServiceQuotasV20190624.")
        params = json.loads(body or b"{}")
        call = self.record(operation, headers, params)
        if not target.startswith("ServiceQuotasV20190624.") or operation not in (
            "ListServiceQuotas",
            "ListAWSDefaultServiceQuotas",
        ):
            return self._error("UnknownOperationException", f"unknown operation {target!r}")
        if operation in self.deny:
            return self._error(
                "AccessDeniedException",
                f"User is not authorized to perform: servicequotas:{operation}",
            )
        if params.get("ServiceCode") != "sagemaker":
            return self._error("NoSuchResourceException", f"service {params.get('ServiceCode')!r} not found")
        source = self.applied if operation == "ListServiceQuotas" else self.defaults
        quotas = source.get(call.region, [])
        start = int(params.get("NextToken") or 0)
        page = quotas[start : start + self.page_size]
        reply: dict[str, Any] = {"Quotas": page}
        if start + self.page_size < len(quotas):
            reply["NextToken"] = str(start + self.page_size)
        return Answer(200, json.dumps(reply).encode(), {"Content-Type": "application/x-amz-json-1.1"})

    @staticmethod
    def _error(code: str, message: str) -> Answer:
        body = json.dumps({"__type": code, "message": message}).encode()
        return Answer(400, body, {"Content-Type": "application/x-amz-json-1.1"})


# --- Bedrock control plane ---------------------------------------------------------------------------


def availability(
    *,
    region: bool = True,
    entitled: bool = True,
    authorized: bool = True,
    agreement: str = "AVAILABLE",
) -> dict[str, Any]:
    """A GetFoundationModelAvailability answer (without the modelId)."""
    return {
        "agreementAvailability": {"status": agreement},
        "authorizationStatus": "AUTHORIZED" if authorized else "NOT_AUTHORIZED",
        "entitlementAvailability": "AVAILABLE" if entitled else "NOT_AVAILABLE",
        "regionAvailability": "AVAILABLE" if region else "NOT_AVAILABLE",
    }


_BEDROCK_ROUTES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GetFoundationModelAvailability", re.compile(r"^/foundation-model-availability/(?P<id>[^/]+)$")),
    ("GetFoundationModel", re.compile(r"^/foundation-models/(?P<id>[^/]+)$")),
    (
        "ListFoundationModelAgreementOffers",
        re.compile(r"^/list-foundation-model-agreement-offers/(?P<id>[^/]+)$"),
    ),
    ("GetInferenceProfile", re.compile(r"^/inference-profiles/(?P<id>.+)$")),
    ("GetCustomModelDeployment", re.compile(r"^/model-customization/custom-model-deployments/(?P<id>.+)$")),
    ("GetCustomModel", re.compile(r"^/custom-models/(?P<id>.+)$")),
    ("GetProvisionedModelThroughput", re.compile(r"^/provisioned-model-throughput/(?P<id>.+)$")),
    ("GetImportedModel", re.compile(r"^/imported-models/(?P<id>.+)$")),
)


class FakeBedrock(_Loopback):
    """State per region: model availability, inference profiles and owned models (by ARN).

    A model id without an entry is unknown (ValidationException, as Bedrock answers); ``deny``
    holds operations answered with AccessDeniedException. A known model is ACTIVE unless
    ``lifecycle`` says otherwise (``{"status": "LEGACY", "endOfLifeTime": ...}``). Accepting a
    model's offer (CreateFoundationModelAgreement with the token ListFoundationModelAgreementOffers
    gave) turns its agreement and entitlement to ``agreement_after_accept``, as the Marketplace
    subscription does after a while.
    """

    def __init__(self) -> None:
        super().__init__()
        self.models: dict[str, dict[str, dict[str, Any]]] = {}
        self.profiles: dict[str, set[str]] = {}
        self.owned: dict[str, dict[str, dict[str, Any]]] = {}
        self.lifecycle: dict[str, dict[str, Any]] = {}
        self.deny: set[str] = set()
        self.agreement_after_accept = "PENDING"

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        if method == "POST" and path == "/create-foundation-model-agreement":
            params = json.loads(body or b"{}")
            call = self.record("CreateFoundationModelAgreement", headers, params)
            return self._accept(params, call.region)
        for operation, pattern in _BEDROCK_ROUTES:
            m = pattern.match(path)
            if m and method == "GET":
                ident = unquote(m.group("id"))
                call = self.record(operation, headers, {"id": ident})
                return self._answer(operation, ident, call.region)
        return self._error("UnknownOperationException", 404, f"no route for {method} {path}")

    def _answer(self, operation: str, ident: str, region: str) -> Answer:
        if operation in self.deny:
            return self._error(
                "AccessDeniedException",
                403,
                f"User: arn:aws:iam::123456789012:user/test is not authorized to perform: bedrock:{operation}",
            )
        if operation == "GetFoundationModelAvailability":
            state = self.models.get(region, {}).get(ident)
            if state is None:
                return self._error(
                    "ValidationException", 400, f"The provided model identifier is invalid: {ident}"
                )
            return self._ok({"modelId": ident, **state})
        if operation == "GetFoundationModel":
            if ident not in self.models.get(region, {}):
                return self._error(
                    "ResourceNotFoundException", 404, f"Could not resolve the foundation model from {ident}"
                )
            lifecycle = self.lifecycle.get(ident, {"status": "ACTIVE"})
            return self._ok({"modelDetails": {"modelId": ident, "modelLifecycle": lifecycle}})
        if operation == "ListFoundationModelAgreementOffers":
            if ident not in self.models.get(region, {}):
                return self._error(
                    "ValidationException", 400, f"The provided model identifier is invalid: {ident}"
                )
            return self._ok(
                {
                    "modelId": ident,
                    "offers": [{"offerId": "offer-1", "offerToken": f"token-for-{ident}", "termDetails": {}}],
                }
            )
        if operation == "GetInferenceProfile":
            if ident in self.profiles.get(region, set()):
                return self._ok(
                    {
                        "inferenceProfileName": ident,
                        "inferenceProfileArn": f"arn:aws:bedrock:{region}:123456789012:inference-profile/{ident}",
                        "inferenceProfileId": ident,
                        "models": [],
                        "status": "ACTIVE",
                        "type": "SYSTEM_DEFINED",
                    }
                )
        elif ident in self.owned.get(region, {}):
            return self._ok(self.owned[region][ident])
        return self._error("ResourceNotFoundException", 404, f"{ident} not found")

    def _accept(self, params: dict[str, Any], region: str) -> Answer:
        if "CreateFoundationModelAgreement" in self.deny:
            return self._answer("CreateFoundationModelAgreement", "", region)
        model = str(params.get("modelId", ""))
        state = self.models.get(region, {}).get(model)
        if state is None or params.get("offerToken") != f"token-for-{model}":
            return self._error("ValidationException", 400, "The offer token is not valid for this model.")
        state["agreementAvailability"] = {"status": self.agreement_after_accept}
        if self.agreement_after_accept == "AVAILABLE":
            state["entitlementAvailability"] = "AVAILABLE"
        return Answer(202, json.dumps({"modelId": model}).encode(), {"Content-Type": "application/json"})

    @staticmethod
    def _ok(payload: dict[str, Any]) -> Answer:
        return Answer(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    @staticmethod
    def _error(code: str, status: int, message: str) -> Answer:
        return Answer(
            status,
            json.dumps({"message": message}).encode(),
            {"Content-Type": "application/json", "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"},
        )


# --- Lambda (GetPolicy) -----------------------------------------------------------------------------

_POLICY_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/policy$")


class FakeLambda(_Loopback):
    """``policies``: function name -> its resource-policy statements (a function with ``[]`` exists
    without a policy); any other name is a function that does not exist. As Lambda answers."""

    def __init__(self) -> None:
        super().__init__()
        self.policies: dict[str, list[dict[str, Any]]] = {}

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        m = _POLICY_PATH.match(path)
        if not (m and method == "GET"):
            return self._error(404, "UnknownOperationException", f"no route for {method} {path}")
        name = unquote(m.group("name"))
        call = self.record("GetPolicy", headers, {"FunctionName": name})
        statements = self.policies.get(name)
        if statements is None:
            arn = f"arn:aws:lambda:{call.region}:123456789012:function:{name}"
            return self._error(404, "ResourceNotFoundException", f"Function not found: {arn}")
        if not statements:
            return self._error(404, "ResourceNotFoundException", "The resource you requested does not exist.")
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        payload = {"Policy": json.dumps(policy), "RevisionId": "1"}
        return Answer(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    @staticmethod
    def _error(status: int, code: str, message: str) -> Answer:
        return Answer(
            status,
            json.dumps({"Type": "User", "Message": message}).encode(),
            {"Content-Type": "application/json", "x-amzn-ErrorType": code},
        )


def function_url_statement(principal: str, action: str, *, through_url: bool = True) -> dict[str, Any]:
    """A statement as Lambda stores what ``aws_lambda_permission`` added."""
    stored = principal if principal == "*" or not principal.isdigit() else f"arn:aws:iam::{principal}:root"
    statement: dict[str, Any] = {
        "Sid": f"s-{abs(hash((principal, action))) % 10**8}",
        "Effect": "Allow",
        "Principal": stored if stored == "*" else {"AWS": stored},
        "Action": action,
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:pf-inference-api",
    }
    if action == "lambda:InvokeFunctionUrl":
        statement["Condition"] = {
            "StringEquals": {"lambda:FunctionUrlAuthType": "NONE" if principal == "*" else "AWS_IAM"}
        }
    elif through_url:
        statement["Condition"] = {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
    return statement


def query_error(status: int, code: str, message: str, namespace: str) -> Answer:
    """An error of a query-protocol service (STS, IAM), as XML."""
    xml = (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Answer(status, xml.encode(), {"Content-Type": "text/xml"})


# --- IAM policy simulator ----------------------------------------------------------------------------


class FakeIamSimulator(_Loopback):
    """IAM's ``SimulatePrincipalPolicy`` (query protocol, XML), which moto does not implement.

    ``policies``: principal ARN -> the statements of its identity policies; any other principal is
    ``NoSuchEntity``. Evaluation as IAM does it for identity policies: an explicit Deny wins, else
    an Allow whose Action and Resource match (``*`` and ``?`` wildcards) and whose conditions hold
    for the request's context entries; a condition on a key the request does not carry fails.
    Operators: ``Bool``, ``StringEquals``, ``StringLike``, ``ArnLike``, ``ArnEquals``; any other
    makes its statement not apply.
    """

    def __init__(self) -> None:
        super().__init__()
        self.policies: dict[str, list[dict[str, Any]]] = {}

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        params = {k: v[0] for k, v in parse_qs(body.decode() or query).items()}
        action = params.get("Action", "")
        self.record(action, headers, params)
        if action != "SimulatePrincipalPolicy":
            return self._error(400, "InvalidAction", f"Could not find operation {action}")
        source = params.get("PolicySourceArn", "")
        if source not in self.policies:
            return self._error(404, "NoSuchEntity", f"The principal {source} cannot be found.")
        actions = _members(params, "ActionNames")
        resources = _members(params, "ResourceArns") or ["*"]
        context: dict[str, list[str]] = {}
        for n in range(1, 100):
            key = params.get(f"ContextEntries.member.{n}.ContextKeyName")
            if key is None:
                break
            context[key.lower()] = _members(params, f"ContextEntries.member.{n}.ContextKeyValues")
        results = "".join(
            "<member>"
            f"<EvalActionName>{escape(a)}</EvalActionName><EvalResourceName>{escape(r)}</EvalResourceName>"
            f"<EvalDecision>{self.decide(source, a, r, context)}</EvalDecision>"
            "</member>"
            for a in actions
            for r in resources
        )
        xml = (
            '<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{results}"
            "</EvaluationResults></SimulatePrincipalPolicyResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</SimulatePrincipalPolicyResponse>"
        )
        return Answer(200, xml.encode(), {"Content-Type": "text/xml"})

    def decide(self, principal: str, action: str, resource: str, context: dict[str, list[str]]) -> str:
        applying = [
            s
            for s in self.policies[principal]
            if _matches(s.get("Action"), action, fold=True)
            and _matches(s.get("Resource"), resource)
            and _conditions_hold(s.get("Condition") or {}, context)
        ]
        if any(s.get("Effect") == "Deny" for s in applying):
            return "explicitDeny"
        return "allowed" if any(s.get("Effect") == "Allow" for s in applying) else "implicitDeny"

    @staticmethod
    def _error(status: int, code: str, message: str) -> Answer:
        return query_error(status, code, message, "https://iam.amazonaws.com/doc/2010-05-08/")


def _members(params: dict[str, str], name: str) -> list[str]:
    out = []
    for n in range(1, 1000):
        value = params.get(f"{name}.member.{n}")
        if value is None:
            return out
        out.append(value)
    return out


def _matches(patterns: Any, value: str, *, fold: bool = False) -> bool:
    listed = [patterns] if isinstance(patterns, str) else list(patterns or [])
    if fold:
        return any(fnmatch.fnmatchcase(value.lower(), p.lower()) for p in listed)
    return any(fnmatch.fnmatchcase(value, p) for p in listed)


def _conditions_hold(conditions: dict[str, Any], context: dict[str, list[str]]) -> bool:
    for operator, tests in conditions.items():
        for key, wanted in tests.items():
            given = context.get(key.lower())
            if given is None:
                return False
            expected = [wanted] if isinstance(wanted, str) else [str(w) for w in wanted]
            if operator == "Bool":
                ok = any(g.lower() == e.lower() for g in given for e in expected)
            elif operator in ("StringEquals", "ArnEquals"):
                ok = any(g == e for g in given for e in expected)
            elif operator in ("StringLike", "ArnLike"):
                ok = any(fnmatch.fnmatchcase(g, e) for g in given for e in expected)
            else:
                return False
            if not ok:
                return False
    return True


# --- STS ---------------------------------------------------------------------------------------------


class FakeSts(_Loopback):
    """``trust``: role ARN -> the external id its trust policy requires (None: none required).

    Any other role, or a wrong external id, is denied as AWS denies it. Assumed credentials get
    access key ids ``ASIAFAKE<n>`` so later calls show which identity made them.
    """

    def __init__(self, caller_arn: str = "arn:aws:iam::123456789012:user/operator") -> None:
        super().__init__()
        self.caller_arn = caller_arn
        self.trust: dict[str, str | None] = {}
        self.issued: dict[str, str] = {}  # access key id -> role ARN
        # (status, code, message): STS fails every call so (throttling, an outage).
        self.failing: tuple[int, str, str] | None = None
        # access key id -> (secret key, ARN): who signed a presigned GetCallerIdentity.
        self.identities: dict[str, tuple[str, str]] = {}

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        params = {k: v[0] for k, v in parse_qs(body.decode() or query).items()}
        action = params.get("Action", "")
        self.record(action, headers, params)
        if self.failing is not None:
            return self._error(*self.failing)
        if action == "GetCallerIdentity" and "X-Amz-Signature" in params:
            return self._presigned_identity(method, path, query, headers)
        if action == "GetCallerIdentity":
            account = self.caller_arn.split(":")[4]
            return self._ok(
                action,
                f"<Arn>{escape(self.caller_arn)}</Arn><UserId>AIDAFAKEOPERATOR</UserId><Account>{account}</Account>",
            )
        if action != "AssumeRole":
            return self._error(400, "InvalidAction", f"Could not find operation {action}")
        role = params.get("RoleArn", "")
        if role not in self.trust or self.trust[role] != params.get("ExternalId"):
            return self._error(
                403,
                "AccessDenied",
                f"User: {self.caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role}",
            )
        key = f"ASIAFAKE{len(self.issued) + 1:08d}"
        self.issued[key] = role
        account, name = role.split(":")[4], role.rsplit("/", 1)[1]
        session = params.get("RoleSessionName", "session")
        return self._ok(
            action,
            "<Credentials>"
            f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>fake-secret-{key}</SecretAccessKey>"
            f"<SessionToken>fake-token-{key}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
            "</Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>AROAFAKE:{session}</AssumedRoleId>"
            f"<Arn>arn:aws:sts::{account}:assumed-role/{name}/{session}</Arn></AssumedRoleUser>",
        )

    def _presigned_identity(self, method: str, path: str, query: str, headers: dict[str, str]) -> Answer:
        secrets = {key: secret for key, (secret, _) in self.identities.items()}
        try:
            verified = verify_presigned(method, path, query, headers, secrets, now=time.time())
        except SignatureMismatch as err:
            if str(err).startswith("unknown access key"):
                return self._error(
                    403, "InvalidClientTokenId", "The security token included in the request is invalid."
                )
            if str(err) == "expired":
                return self._error(
                    403, "ExpiredToken", "The security token included in the request is expired"
                )
            return self._error(
                403, "SignatureDoesNotMatch", f"The request signature we calculated does not match: {err}"
            )
        arn = self.identities[verified.access_key_id][1]
        account = arn.split(":")[4]
        return self._ok(
            "GetCallerIdentity",
            f"<Arn>{escape(arn)}</Arn><UserId>AIDAFAKE</UserId><Account>{account}</Account>",
        )

    @staticmethod
    def _ok(action: str, result: str) -> Answer:
        xml = (
            f'<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<{action}Result>{result}</{action}Result>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>"
        )
        return Answer(200, xml.encode(), {"Content-Type": "text/xml"})

    @staticmethod
    def _error(status: int, code: str, message: str) -> Answer:
        return query_error(status, code, message, "https://sts.amazonaws.com/doc/2011-06-15/")
