"""moto's server on 127.0.0.1, with the gaps the real ``hashicorp/aws`` provider runs into filled.

The apply tests point the provider at this server (``tests/modules/test_apply.py``). moto speaks
the AWS APIs the provider calls for IAM, STS, Lambda, Logs, Secrets Manager, SSM, S3, SageMaker
and Application Auto Scaling; where it falls short of AWS in a way the provider notices, this
launcher patches moto (in its own process, never the stack under test):

- SageMaker validates instance types against a list older than AWS's (no ``g5``, ``g6``, ...):
  the list of the pinned botocore's service model is used instead.
- SageMaker's DescribeEndpointConfig answers ``DataCaptureConfig: {}`` where AWS leaves it out
  (the provider reads that as a change that forces a new configuration).
- SageMaker's DescribeModel does not echo ``EnableNetworkIsolation`` and echoes ``VpcConfig``
  only as given: both are recorded at CreateModel and returned as AWS returns them.
- Lambda does not echo ``LoggingConfig``: it is recorded at CreateFunction and
  UpdateFunctionConfiguration and returned (with AWS's defaults) by GetFunction.
- Lambda knows only the layers published on the server, while AWS lets a function use a layer
  another account made public (the AWS Lambda Web Adapter's): such a layer ARN is taken as given.
- Application Auto Scaling has no tag calls: ``Tags`` of RegisterScalableTarget, TagResource,
  UntagResource and ListTagsForResource are served from a store keyed by the target's ARN.
- IAM does not enforce policy limits: like AWS, PutRolePolicy fails with ``LimitExceeded`` when
  a role's inline policies exceed 10,240 characters, CreatePolicy(Version) above 6,144,
  AttachRolePolicy above 10 managed policies per role, and CreateRole / UpdateAssumeRolePolicy
  for a trust policy above 2,048 (white space is not counted, as in IAM).

Everything runs in the account of ``ACCOUNT_ID`` (the example configs' account).

    python -m tests.fakes.moto_aws [--port N]    # prints "listening on http://127.0.0.1:<port>"

:func:`running` starts it as a subprocess for the length of a ``with`` block.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ACCOUNT_ID = "111122223333"
# IAM's quotas (IAM and AWS STS quotas, "IAM object quotas"; the defaults of adjustable ones).
INLINE_ROLE_POLICIES_MAX = 10_240
MANAGED_POLICY_MAX = 6_144
MANAGED_POLICIES_PER_ROLE = 10
TRUST_POLICY_MAX = 2_048
_READY = "listening on "


def _iam_size(document: str) -> int:
    """A policy's size as IAM counts it: without white space outside strings."""
    return len(json.dumps(json.loads(document), separators=(",", ":")))


def _patch_sagemaker() -> None:
    import botocore.session
    from moto.sagemaker import models, responses
    from moto.sagemaker.exceptions import ValidationError

    shape = (
        botocore.session.get_session()
        .get_service_model("sagemaker")
        .shape_for("ProductionVariantInstanceType")
    )
    valid = frozenset(shape.enum)

    def validate_instance_type(self: Any, instance_type: str) -> None:
        if instance_type not in valid:
            raise ValidationError(
                message=f"Value '{instance_type}' at 'instanceType' failed to satisfy constraint: "
                "Member must satisfy enum value set"
            )

    models.FakeEndpointConfig.validate_instance_type = validate_instance_type  # type: ignore[method-assign]

    def describe_endpoint_config(self: Any) -> Any:
        config = dict(self.sagemaker_backend.describe_endpoint_config(self._get_param("EndpointConfigName")))
        if not config.get("DataCaptureConfig"):
            config.pop("DataCaptureConfig", None)  # AWS leaves the field out; moto answers {}
        return responses.ActionResult(config)

    responses.SageMakerResponse.describe_endpoint_config = describe_endpoint_config  # type: ignore[method-assign]

    create_model = responses.SageMakerResponse.create_model

    def create_model_echoing(self: Any) -> Any:
        result = create_model(self)
        model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
        model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
        if not self._get_param("VpcConfig"):
            model.vpc_config = None  # AWS leaves the field out; moto answered {}
        return result

    responses.SageMakerResponse.create_model = create_model_echoing  # type: ignore[method-assign]


def _patch_lambda() -> None:
    from moto.awslambda import models

    defaults = {"LogFormat": "Text", "ApplicationLogLevel": None, "SystemLogLevel": None}

    def logging_config(function: Any, given: dict[str, Any] | None) -> dict[str, Any]:
        config = {"LogGroup": f"/aws/lambda/{function.function_name}", **defaults, **(given or {})}
        if config["LogFormat"] == "JSON":
            config["ApplicationLogLevel"] = config["ApplicationLogLevel"] or "INFO"
            config["SystemLogLevel"] = config["SystemLogLevel"] or "INFO"
        return {k: v for k, v in config.items() if v is not None}

    init = models.LambdaFunction.__init__

    def init_recording(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        init(self, account_id, spec, *args, **kwargs)
        self.logging_config = logging_config(self, spec.get("LoggingConfig"))

    update = models.LambdaFunction.update_configuration

    def update_recording(self: Any, config_updates: dict[str, Any]) -> Any:
        if "LoggingConfig" in config_updates:
            self.logging_config = logging_config(self, config_updates["LoggingConfig"])
        return update(self, config_updates)

    get_configuration = models.LambdaFunction.get_configuration

    def get_configuration_echoing(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config: dict[str, Any] = get_configuration(self, *args, **kwargs)
        config["LoggingConfig"] = getattr(self, "logging_config", None) or logging_config(self, None)
        return config

    layers_data = models.LambdaFunction._get_layers_data

    def layers_data_with_public_ones(self: Any, arns: list[str]) -> Any:
        own = [arn for arn in arns if arn.split(":")[4] == self.account_id]
        data = {d["Arn"]: d for d in layers_data(self, own)}
        return [data.get(arn) or {"Arn": arn, "CodeSize": 0} for arn in arns]

    models.LambdaFunction._get_layers_data = layers_data_with_public_ones  # type: ignore[method-assign]
    models.LambdaFunction.__init__ = init_recording  # type: ignore[method-assign]
    models.LambdaFunction.update_configuration = update_recording  # type: ignore[method-assign]
    models.LambdaFunction.get_configuration = get_configuration_echoing  # type: ignore[method-assign]


def _patch_autoscaling_tags() -> None:
    from moto.applicationautoscaling import responses

    tags: dict[str, dict[str, str]] = {}
    lock = threading.Lock()
    cls = responses.ApplicationAutoScalingResponse
    register = cls.register_scalable_target
    deregister = cls.deregister_scalable_target

    def register_tagging(self: Any) -> str:
        body = register(self)
        with lock:
            tags.setdefault(json.loads(body)["ScalableTargetARN"], {}).update(self._get_param("Tags") or {})
        return body

    def deregister_untagging(self: Any) -> str:
        targets = self.applicationautoscaling_backend.describe_scalable_targets(
            self._get_param("ServiceNamespace"),
            [self._get_param("ResourceId")],
            self._get_param("ScalableDimension"),
        )
        body = deregister(self)
        with lock:
            for target in targets:
                tags.pop(target.arn, None)
        return body

    def tag_resource(self: Any) -> str:
        with lock:
            tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        with lock:
            for key in self._get_param("TagKeys") or []:
                tags.get(self._get_param("ResourceARN"), {}).pop(key, None)
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        with lock:
            return json.dumps({"Tags": tags.get(self._get_param("ResourceARN"), {})})

    cls.register_scalable_target = register_tagging  # type: ignore[method-assign]
    cls.deregister_scalable_target = deregister_untagging  # type: ignore[method-assign]
    cls.tag_resource = tag_resource  # type: ignore[attr-defined]
    cls.untag_resource = untag_resource  # type: ignore[attr-defined]
    cls.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]


def _patch_iam_limits() -> None:
    from moto.iam import models
    from moto.iam.exceptions import LimitExceededException

    backend = models.IAMBackend

    def wrap(name: str, check: Callable[..., None]) -> None:
        original = getattr(backend, name)

        def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
            check(self, *args, **kwargs)
            return original(self, *args, **kwargs)

        setattr(backend, name, checked)

    def put_role_policy(self: Any, role_name: str, policy_name: str, policy_json: str) -> None:
        role = self.get_role(role_name)
        others = sum(_iam_size(doc) for name, doc in role.policies.items() if name != policy_name)
        if others + _iam_size(policy_json) > INLINE_ROLE_POLICIES_MAX:
            raise LimitExceededException(
                f"Maximum policy size of {INLINE_ROLE_POLICIES_MAX} bytes exceeded for role {role_name}"
            )

    def check_managed(document: str) -> None:
        if _iam_size(document) > MANAGED_POLICY_MAX:
            raise LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX}")

    def create_policy(self: Any, description: str, path: str, document: str, *args: Any) -> None:
        check_managed(document)

    def create_policy_version(self: Any, policy_arn: str, document: str, *args: Any) -> None:
        check_managed(document)

    def attach_role_policy(self: Any, policy_arn: str, role_name: str) -> None:
        attached = self.get_role(role_name).managed_policies
        if policy_arn not in attached and len(attached) >= MANAGED_POLICIES_PER_ROLE:
            raise LimitExceededException(
                f"Cannot exceed quota for PoliciesPerRole: {MANAGED_POLICIES_PER_ROLE}"
            )

    def check_trust(document: str) -> None:
        if _iam_size(document) > TRUST_POLICY_MAX:
            raise LimitExceededException(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX}")

    def create_role(self: Any, role_name: str, document: str, *args: Any) -> None:
        check_trust(document)

    def update_assume_role_policy(self: Any, role_name: str, document: str) -> None:
        check_trust(document)

    wrap("put_role_policy", put_role_policy)
    wrap("create_policy", create_policy)
    wrap("create_policy_version", create_policy_version)
    wrap("attach_role_policy", attach_role_policy)
    wrap("create_role", create_role)
    wrap("update_assume_role_policy", update_assume_role_policy)


def patch_moto() -> None:
    _patch_sagemaker()
    _patch_lambda()
    _patch_autoscaling_tags()
    _patch_iam_limits()


def serve(port: int) -> None:
    os.environ["MOTO_ACCOUNT_ID"] = ACCOUNT_ID
    patch_moto()
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"{_READY}http://127.0.0.1:{server._server.server_port}", flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin (or exits)
    finally:
        server.stop()


@contextlib.contextmanager
def running() -> Iterator[str]:
    """Start the server in a subprocess; yields its endpoint URL, stops it on exit."""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.moto_aws", "--port", "0"],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith(_READY):
            raise RuntimeError(f"moto server did not start (exit status {proc.poll()})")
        yield line.removeprefix(_READY).strip()
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    serve(parser.parse_args(argv).port)


if __name__ == "__main__":
    main()
