"""Pinned facts about SageMaker LLM hosting: accelerator instances, the Hugging Face TGI container,
and a curated set of JumpStart models.

Pure data plus small lookups; nothing here calls AWS. Every table names its source and the date the
facts were read, so a bump is a reviewed edit rather than a silent drift.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------


def _suggest(value: str, choices: Iterable[str]) -> str | None:
    """The closest choice to a mistyped ``value``, if any is close."""
    matches = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.75)
    return matches[0] if matches else None


def _error(problem: str, suggestion: str | None, allowed: str) -> ValueError:
    """``"<problem>; did you mean 'x'? <Allowed>"``, or ``"<problem>; <allowed>"`` without a suggestion."""
    if suggestion is None:
        return ValueError(f"{problem}; {allowed}")
    return ValueError(f"{problem}; did you mean {suggestion!r}? {allowed[:1].upper()}{allowed[1:]}")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


_REGION_SHAPE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


def _ecr_domain(region: str) -> str:
    # The China partition serves ECR under its own top-level domain; commercial and GovCloud share one.
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


# --------------------------------------------------------------------------------------------------
# Accelerator instance types for real-time endpoints
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceInfo:
    """One SageMaker hosting instance type with an accelerator."""

    instance_type: str  # "ml.g5.2xlarge"
    family: str  # "g5"
    accelerators: int  # GPUs, or Neuron devices (chips) for inf/trn
    accelerator_kind: str  # "nvidia" | "neuron"
    gpu_memory_gib: int  # total accelerator memory of the instance
    supports_volume_size: bool  # False where local NVMe instance storage replaces the EBS volume


# Which types exist for hosting: the ProductionVariantInstanceType enum of botocore 1.44.5
# (sagemaker service-2.json), read 2026-11. ml.p3dn.* is training-only there, so it is absent here.
#
# Accelerator counts and memory (nominal GiB per instance):
#   g4dn, g5, g6, p3: AWS Batch user guide, "GPU jobs" instance table (docs.aws.amazon.com/batch),
#     cross-checked with aws/sagemaker-python-sdk
#     sagemaker-core/src/sagemaker/core/image_uri_config/instance_gpu_info.json (2025-11-20);
#   p4d, p4de, p5.48xlarge: that same instance_gpu_info.json (TotalGpuMemoryInMiB / 1024).
#   That file reports g5.48xlarge as 183104 MiB, below the nominal 8 x 24 GiB of the Batch table; the
#   nominal figure is kept so every size of a family follows the same per-GPU arithmetic.
#   inf2: AWS Neuron docs "Inf2 architecture"; trn1: AWS Neuron docs "Trn1/Trn1n architecture" (2026-11).
#
# supports_volume_size: SageMaker rejects VolumeSizeInGB where the instance brings NVMe instance storage.
# The rule follows aws/sagemaker-python-sdk sagemaker-core/src/sagemaker/core/common_utils.py
# volume_size_supported() (2026-08 snapshot): a "d" in the family (g4dn, p4d, p4de), or a g5/g6/p5/trn1
# prefix (g6e, p5e, p5en included), means no EBS volume; p3 and inf2 are EBS-only and take a volume size.
_NVIDIA = "nvidia"
_NEURON = "neuron"

# family -> (kind, GiB per accelerator, supports_volume_size, {size: accelerator count})
_FAMILIES: dict[str, tuple[str, int, bool, dict[str, int]]] = {
    # NVIDIA T4 16 GiB
    "g4dn": (
        _NVIDIA,
        16,
        False,
        {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4, "16xlarge": 1},
    ),
    # NVIDIA A10G 24 GiB
    "g5": (
        _NVIDIA,
        24,
        False,
        {
            "xlarge": 1,
            "2xlarge": 1,
            "4xlarge": 1,
            "8xlarge": 1,
            "12xlarge": 4,
            "16xlarge": 1,
            "24xlarge": 4,
            "48xlarge": 8,
        },
    ),
    # NVIDIA L4 24 GiB
    "g6": (
        _NVIDIA,
        24,
        False,
        {
            "xlarge": 1,
            "2xlarge": 1,
            "4xlarge": 1,
            "8xlarge": 1,
            "12xlarge": 4,
            "16xlarge": 1,
            "24xlarge": 4,
            "48xlarge": 8,
        },
    ),
    # NVIDIA L40S 48 GiB. 48 GiB per GPU: the EC2 G6e product page, and public SageMaker instance
    # tables ("ml.g6e.2xlarge | 1 | L40S | 48GB"). GPUs per size: meta-pytorch/torchx PR #969
    # (named_resources_aws.py, merged 2024-11-05) gives the counts below. Checked 2026-11-29.
    "g6e": (
        _NVIDIA,
        48,
        False,
        {
            "xlarge": 1,
            "2xlarge": 1,
            "4xlarge": 1,
            "8xlarge": 1,
            "12xlarge": 4,
            "16xlarge": 1,
            "24xlarge": 4,
            "48xlarge": 8,
        },
    ),
    # NVIDIA V100 16 GiB; EBS-only.
    "p3": (_NVIDIA, 16, True, {"2xlarge": 1, "8xlarge": 4, "16xlarge": 8}),
    # NVIDIA A100 40 GiB
    "p4d": (_NVIDIA, 40, False, {"24xlarge": 8}),
    # NVIDIA A100 80 GiB
    "p4de": (_NVIDIA, 80, False, {"24xlarge": 8}),
    # NVIDIA H100 80 GiB. p5.4xlarge (in the hosting enum) has one H100 of 80 GiB: the EC2 P5 page,
    # and the EC2 accelerated-computing instance specs table
    # (https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html) as cited by a public instance table
    # ("p5.4xlarge | 1 | H100 | 80 GiB"). Checked 2026-11-29.
    "p5": (_NVIDIA, 80, False, {"4xlarge": 1, "48xlarge": 8}),
    # NVIDIA H200 141 GiB, 8 per instance: the EC2 P5e/P5en product page, and the EC2
    # accelerated-computing instance specs table (ac.html above) as cited by a public instance table
    # ("p5e.48xlarge | 8 | H200 SXM5 | 1,128 GiB", the same for p5en; 1128 / 8 = 141); dstack PR #4110
    # (merged 2026-08-07) lists p5en.48xlarge as H200:141GB:8. Checked 2026-11-29.
    "p5e": (_NVIDIA, 141, False, {"48xlarge": 8}),
    "p5en": (_NVIDIA, 141, False, {"48xlarge": 8}),
    # AWS Inferentia2, 32 GiB per device; EBS-only.
    "inf2": (_NEURON, 32, True, {"xlarge": 1, "8xlarge": 1, "24xlarge": 6, "48xlarge": 12}),
    # AWS Trainium, 32 GiB per device; local NVMe.
    "trn1": (_NEURON, 32, False, {"2xlarge": 1, "32xlarge": 16}),
}

_INSTANCES: dict[str, InstanceInfo] = {
    f"ml.{family}.{size}": InstanceInfo(
        instance_type=f"ml.{family}.{size}",
        family=family,
        accelerators=count,
        accelerator_kind=kind,
        gpu_memory_gib=count * per_device,
        supports_volume_size=volume,
    )
    for family, (kind, per_device, volume, sizes) in _FAMILIES.items()
    for size, count in sizes.items()
}


def instance_types() -> tuple[str, ...]:
    """All accelerator instance types in the table, grouped by family."""
    return tuple(_INSTANCES)


def instance_info(instance_type: str) -> InstanceInfo:
    """Look up one instance type; ValueError names close matches and the families on offer."""
    info = _INSTANCES.get(instance_type)
    if info is not None:
        return info
    # Users often drop the "ml." prefix, so match as if it were there.
    candidate = instance_type if instance_type.startswith("ml.") else f"ml.{instance_type}"
    parts = candidate.split(".")
    family = parts[1] if len(parts) == 3 else ""
    # Only suggest when the family is (nearly) one of ours: "ml.m5.large" is no typo of "ml.g5.xlarge".
    near_family = family in _FAMILIES or _suggest(family, _FAMILIES) is not None
    raise _error(
        f"unknown SageMaker instance type {instance_type!r}",
        _suggest(candidate, _INSTANCES) if near_family else None,
        f"LLM endpoints use the accelerator families: {', '.join(_FAMILIES)}",
    )


# --------------------------------------------------------------------------------------------------
# Deep Learning Container registries
# --------------------------------------------------------------------------------------------------

# Region -> ECR registry account of the AWS Deep Learning Containers, from aws/sagemaker-python-sdk
# sagemaker-core/src/sagemaker/core/image_uri_config/huggingface-llm.json (file last changed 2025-12-18,
# snapshot of 2026-08-21). Every TGI version there lists the same map; djl-lmi.json and djl-deepspeed.json
# use the same account per region. The ISO partitions (us-iso*, us-isob*, us-isof*) are left out: they
# use other ECR domains and this project does not deploy there.
DLC_ACCOUNTS: dict[str, str] = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-east-2": "975050140332",
    "ap-northeast-1": "763104351884",
    "ap-northeast-2": "763104351884",
    "ap-northeast-3": "364406365360",
    "ap-south-1": "763104351884",
    "ap-south-2": "772153158452",
    "ap-southeast-1": "763104351884",
    "ap-southeast-2": "763104351884",
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ap-southeast-5": "550225433462",
    "ap-southeast-6": "633930458069",
    "ap-southeast-7": "590183813437",
    "ca-central-1": "763104351884",
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-central-1": "763104351884",
    "eu-central-2": "380420809688",
    "eu-north-1": "763104351884",
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "eu-west-1": "763104351884",
    "eu-west-2": "763104351884",
    "eu-west-3": "763104351884",
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "mx-central-1": "637423239942",
    "sa-east-1": "763104351884",
    "us-east-1": "763104351884",
    "us-east-2": "763104351884",
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
    "us-west-1": "763104351884",
    "us-west-2": "763104351884",
}


def _dlc_image_uri(region: str, repository: str, tag: str, regions: Iterable[str], what: str) -> str:
    published = sorted(regions)
    if region not in published:
        # A well-formed name ("ap-east-2", "us-iso-east-1") is a real region the image skips, not a typo.
        well_formed = _REGION_SHAPE.fullmatch(region) is not None
        raise _error(
            f"the {what} is not published in region {region!r}",
            None if well_formed else _suggest(region, published),
            f"it is published in: {', '.join(published)}",
        )
    return f"{DLC_ACCOUNTS[region]}.dkr.ecr.{region}.{_ecr_domain(region)}/{repository}:{tag}"


# --------------------------------------------------------------------------------------------------
# Hugging Face TGI (LLM inference DLC)
# --------------------------------------------------------------------------------------------------

_TGI_REPOSITORY = "huggingface-pytorch-tgi-inference"

# TGI version -> exact image tag: "{tag_prefix}-gpu-{py}-{container_version}" as the SDK builds it in
# sagemaker-core/src/sagemaker/core/image_uris.py _format_tag(); values from huggingface-llm.json and
# its unit test (tests/unit/sagemaker/image_uris/test_huggingface_llm.py), snapshot of 2026-08-21.
# 1.1.0 and 1.4.0 stay because curated JumpStart models run on them. The "-vX.Y" suffixes are part of
# the pinned tags the SDK emits for 2.4.0 and 3.0.1.
_TGI_TAGS: dict[str, str] = {
    "1.1.0": "2.0.1-tgi1.1.0-gpu-py39-cu118-ubuntu20.04",
    "1.4.0": "2.1.1-tgi1.4.0-gpu-py310-cu121-ubuntu20.04",
    "1.4.5": "2.1.1-tgi1.4.5-gpu-py310-cu121-ubuntu22.04",
    "2.0.2": "2.3.0-tgi2.0.2-gpu-py310-cu121-ubuntu22.04",
    "2.3.1": "2.4.0-tgi2.3.1-gpu-py311-cu124-ubuntu22.04",
    "2.4.0": "2.4.0-tgi2.4.0-gpu-py311-cu124-ubuntu22.04-v2.2",
    "3.0.1": "2.4.0-tgi3.0.1-gpu-py311-cu124-ubuntu22.04-v2.1",
    "3.2.3": "2.6.0-tgi3.2.3-gpu-py311-cu124-ubuntu22.04",
    "3.3.6": "2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04",
}

TGI_DEFAULT_VERSION: str = max(_TGI_TAGS, key=_version_key)

# Behaviour changes by TGI version, read from huggingface/text-generation-inference at the release
# tags (snapshot of 2026-01-08):
#   - 1.4.0: the router gains --messages-api-enabled (env MESSAGES_API_ENABLED); with it SageMaker's
#     /invocations serves the chat-completions (messages) schema (router/src/server.rs). Before 1.4.0
#     there is no messages API.
#   - 2.0.0: the launcher takes MAX_INPUT_TOKENS; MAX_INPUT_LENGTH remains as its legacy alias
#     (launcher/src/main.rs). Before 2.0.0 only MAX_INPUT_LENGTH exists.
#   - 2.1.0: the router reads HF_TOKEN, falling back to HUGGING_FACE_HUB_TOKEN; the launcher forwards
#     HF_API_TOKEN as HF_TOKEN. Before 2.1.0 the router reads only HUGGING_FACE_HUB_TOKEN.
#   - 2.4.0: /invocations accepts generate, chat and completion payloads alike (router/src/sagemaker.rs,
#     PR #2683) and the MESSAGES_API_ENABLED flag is gone. Setting it stays harmless, so the name is
#     still reported: the messages API is available on SageMaker either way.
_MESSAGES_API_SINCE = (1, 4, 0)
_MAX_INPUT_TOKENS_SINCE = (2, 0, 0)
_HF_TOKEN_SINCE = (2, 1, 0)


@dataclass(frozen=True)
class TgiEnvNames:
    """Container environment variable names a TGI version reads."""

    max_input: str  # "MAX_INPUT_TOKENS" or, before 2.0.0, "MAX_INPUT_LENGTH"
    max_total: str  # "MAX_TOTAL_TOKENS"
    messages_api: str | None  # "MESSAGES_API_ENABLED" where SageMaker can serve the messages API
    token_names: tuple[str, ...]  # Hub token variables every TGI component reads, preferred first


def tgi_versions() -> tuple[str, ...]:
    """Pinned TGI versions, oldest first."""
    return tuple(sorted(_TGI_TAGS, key=_version_key))


def tgi_regions() -> tuple[str, ...]:
    """Regions the TGI container is published in (commercial, GovCloud and China partitions)."""
    return tuple(sorted(DLC_ACCOUNTS))


def _check_tgi_version(version: str) -> str:
    if version not in _TGI_TAGS:
        # "3.3" most likely means the newest 3.3.x; otherwise fall back to spelling.
        series = [known for known in _TGI_TAGS if known.startswith(f"{version}.")]
        raise _error(
            f"unknown Hugging Face TGI version {version!r}",
            max(series, key=_version_key) if series else _suggest(version, _TGI_TAGS),
            f"known versions: {', '.join(tgi_versions())}",
        )
    return version


def tgi_image_uri(region: str, version: str | None = None) -> str:
    """ECR URI of the Hugging Face TGI container for ``region`` (newest pinned version by default)."""
    tag = _TGI_TAGS[_check_tgi_version(version or TGI_DEFAULT_VERSION)]
    return _dlc_image_uri(region, _TGI_REPOSITORY, tag, DLC_ACCOUNTS, "Hugging Face TGI container")


def tgi_env_names(version: str) -> TgiEnvNames:
    """Environment variable names for one pinned TGI version."""
    key = _version_key(_check_tgi_version(version))
    return TgiEnvNames(
        max_input="MAX_INPUT_TOKENS" if key >= _MAX_INPUT_TOKENS_SINCE else "MAX_INPUT_LENGTH",
        max_total="MAX_TOTAL_TOKENS",
        messages_api="MESSAGES_API_ENABLED" if key >= _MESSAGES_API_SINCE else None,
        # Before 2.1.0 the launcher also accepts HF_API_TOKEN, but only hands it to the model shards, not
        # to the router that fetches the tokenizer, so it is not listed.
        token_names=("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
        if key >= _HF_TOKEN_SINCE
        else ("HUGGING_FACE_HUB_TOKEN",),
    )


# --------------------------------------------------------------------------------------------------
# Other JumpStart serving images (DJL)
# --------------------------------------------------------------------------------------------------

# (family, framework version) -> (repository, tag, regions). From aws/sagemaker-python-sdk
# sagemaker-core/src/sagemaker/core/image_uri_config/djl-lmi.json and djl-deepspeed.json (last changed
# 2026-07-20, snapshot of 2026-08-21). djl-deepspeed 0.23.0 is not listed for ap-east-2 and
# ap-southeast-6; djl-lmi 0.29.0 covers every region in DLC_ACCOUNTS.
_DJL_IMAGES: dict[tuple[str, str], tuple[str, str, frozenset[str]]] = {
    ("djl-lmi", "0.29.0"): ("djl-inference", "0.29.0-lmi11.0.0-cu124", frozenset(DLC_ACCOUNTS)),
    ("djl-deepspeed", "0.23.0"): (
        "djl-inference",
        "0.23.0-deepspeed0.9.5-cu118",
        frozenset(DLC_ACCOUNTS) - {"ap-east-2", "ap-southeast-6"},
    ),
}


# --------------------------------------------------------------------------------------------------
# Curated JumpStart models
# --------------------------------------------------------------------------------------------------


JumpStartStatus = Literal["offered", "differs", "unknown"]


@dataclass(frozen=True)
class JumpStartSpec:
    """What deploying one JumpStart model version needs, without calling the JumpStart service, and
    what the last check of the entry against JumpStart found."""

    model_id: str  # "meta-textgeneration-llama-3-1-8b-instruct"
    # Exact JumpStart model version where the source records it; None where the entry comes from a
    # captured deployment that does not (the artifact prefix does not identify it: several JumpStart
    # versions share one inference-prepack revision).
    version: str | None
    gated: bool  # requires EULA acceptance
    image: str  # serving image family: "tgi" | "djl-lmi" | "djl-deepspeed"
    image_version: str  # framework version of that image (TGI "1.4.0", DJL Serving "0.29.0")
    model_data_s3_uri_template: str  # with a "{region}" placeholder
    model_data_compressed: bool  # True: a model.tar.gz; False: an uncompressed S3 prefix
    environment: dict[str, str]  # container environment JumpStart sets for this model
    # JumpStart's default inference instance where a source records it; None where none does (the
    # config names instance_type in every case; scripts/configure offers this as its default answer).
    default_instance_type: str | None
    codec: str  # "tgi-messages" | "tgi-generate" | "jumpstart-llama2-chat"
    prompt_format: str | None  # for "tgi-generate"; None where the container builds the prompt
    reproduces: str  # what the deployment facts above reproduce, in a phrase
    # The last check against the models JumpStart offers: its date ("YYYY-MM-DD"), the verdict, and
    # what was found where. "offered": a current source lists the id; "differs": the id is offered, but
    # its current release is not what this entry deploys; "unknown": the current status could not be
    # confirmed. The synth warns for the last two (jumpstart_note).
    checked: str
    status: JumpStartStatus
    finding: str


# Bucket names per region: aws/sagemaker-python-sdk master-v2 src/sagemaker/jumpstart/region_config.json
# (content_bucket / gated_content_bucket, last changed 2026-04-15). Gated (EULA) models live in the
# private cache, which SageMaker reads only once the EULA is accepted.
_PUBLIC_BUCKET = "s3://jumpstart-cache-prod-{region}"
_GATED_BUCKET = "s3://jumpstart-private-cache-prod-{region}"

# Sources of the deployment facts, read 2026-11:
#  [a] describe-model output of JumpStart deployments, kept as Terraform in public GitHub repositories
#      (us-east-1/us-east-2/eu-west-2, 2024-08..2024-09);
#  [b] aws/sagemaker-python-sdk master-v2 tests/unit/sagemaker/jumpstart/constants.py, spec fixtures
#      copied from the JumpStart service (file last changed 2025-10-28; snapshot of 2026-08-10).
# Sources of the check of 2026-11-29 against what JumpStart offers:
#  [c] AWS docs "Model customization: Supported models for fine-tuning"
#      (https://docs.aws.amazon.com/sagemaker/latest/dg/customizing-models.html, 2026 content);
#  [d] aws/sagemaker-python-sdk doc/doc_utils/pretrainedmodels.rst, the generated table of JumpStart
#      model ids and their latest versions, as committed on 2025-06-23 (the newest public listing found);
#  [e] a third-party lab report (2026-08) that ran the SageMaker Python SDK's
#      verify_model_region_and_return_specs("huggingface-llm-mistral-7b-instruct", version="*") in
#      us-west-2 and deployed the result;
#  [f] the SageMaker Python SDK's integration tests and inference docs of 2026-07/08 (aws/sagemaker-
#      python-sdk sagemaker-serve/tests/integ, docs/inference), which name the JumpStart ids in use.
# No source was found for a service-side refusal of deprecated JumpStart ids. The documented mechanism
# is the SDK's client-side DeprecatedJumpStartModelError for a spec version flagged "deprecated"; this
# project creates the model with CreateModel from the image and S3 artifacts, so that check does not
# apply. Whether the pinned artifacts and image tags are still readable was not checked.
_CHECKED = "2026-11-29"
_JUMPSTART_SPECS: tuple[JumpStartSpec, ...] = (
    # Llama 3.1 8B Instruct on DJL LMI (vLLM). Image, data prefix and environment: [a] (two separate
    # captures agree). Another public capture (eu-west-2) serves the same inference-prepack/v2.0.0
    # prefix on djl-inference 0.31.0-lmi13.0.0-cu124, so the prefix does not pin one JumpStart version,
    # and the captures record none. No source records JumpStart's default instance for this model. The LMI
    # container accepts TGI's {"inputs", "parameters"} request shape and answers {"generated_text"}, so
    # the client applies the Llama 3 chat template.
    JumpStartSpec(
        model_id="meta-textgeneration-llama-3-1-8b-instruct",
        version=None,
        gated=True,
        image="djl-lmi",
        image_version="0.29.0",
        model_data_s3_uri_template=_GATED_BUCKET
        + "/meta-textgeneration/meta-textgeneration-llama-3-1-8b-instruct"
        + "/artifacts/inference-prepack/v2.0.0/",
        model_data_compressed=False,
        environment={
            "ENDPOINT_SERVER_TIMEOUT": "3600",
            "HF_MODEL_ID": "/opt/ml/model",
            "MODEL_CACHE_ROOT": "/opt/ml/model",
            "OPTION_ENABLE_CHUNKED_PREFILL": "true",
            "SAGEMAKER_ENV": "1",
            "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
            "SAGEMAKER_PROGRAM": "inference.py",
        },
        default_instance_type=None,
        codec="tgi-generate",
        prompt_format="llama3-chat",
        reproduces="a 2024 JumpStart deployment (djl-lmi 0.29.0, inference-prepack v2.0.0) "
        "whose JumpStart version was not recorded",
        checked=_CHECKED,
        status="offered",
        # Finding: [c] and [d].
        finding="listed in AWS 'Model customization: Supported models for fine-tuning' (2026), "
        "which shows the id is live (hosting per region was not checked); newest version in a "
        "public listing: 2.10.0 (the SDK's pretrained model table of 2025-06-23); whether the "
        "current release still serves inference-prepack v2.0.0 is not known",
    ),
    # Llama 2 7B Chat, the dialog-format release: the container takes {"inputs": [[{role, content}]]} and
    # refuses requests without the custom attribute accept_eula=true. Everything here is [b] (fixture
    # "js-gated-artifact-trainable-model", version 2.0.4): djl-deepspeed 0.23.0, gated_bucket,
    # hosting_artifact_key, no inference environment variables, default_inference_instance_type. In six
    # regions the SDK deploys this version from a Marketplace model package instead; the image +
    # artifact route below is what it uses everywhere else.
    JumpStartSpec(
        model_id="meta-textgeneration-llama-2-7b-f",
        version="2.0.4",
        gated=True,
        image="djl-deepspeed",
        image_version="0.23.0",
        model_data_s3_uri_template=_GATED_BUCKET
        + "/meta-infer/infer-meta-textgeneration-llama-2-7b-f.tar.gz",
        model_data_compressed=True,
        environment={},
        default_instance_type="ml.g5.2xlarge",
        codec="jumpstart-llama2-chat",
        prompt_format=None,
        reproduces="JumpStart version 2.0.4 (djl-deepspeed 0.23.0), as copied into the SageMaker "
        "Python SDK's spec fixtures",
        checked=_CHECKED,
        status="unknown",
        # Finding: [d], [c] and [f].
        finding="the newest public listing is version 4.17.0, in the SDK's pretrained model table of "
        "2025-06-23; the id is not in AWS's 2026 fine-tuning list nor in the SDK's 2026 "
        "integration tests, and no deprecation notice was found",
    ),
    # Mistral 7B Instruct on TGI 1.1.0 (no messages API yet). Image, data prefix and environment: [a],
    # a 2024 capture that records no JumpStart version; it deployed to ml.g5.2xlarge, the deployer's
    # choice rather than a recorded default. JumpStart's current release is a different build [e], so
    # the synth warns (jumpstart_note).
    JumpStartSpec(
        model_id="huggingface-llm-mistral-7b-instruct",
        version=None,
        gated=False,
        image="tgi",
        image_version="1.1.0",
        model_data_s3_uri_template=_PUBLIC_BUCKET
        + "/huggingface-llm/huggingface-llm-mistral-7b-instruct/artifacts/inference-prepack/v1.0.0/",
        model_data_compressed=False,
        environment={
            "ENDPOINT_SERVER_TIMEOUT": "3600",
            "HF_MODEL_ID": "/opt/ml/model",
            "MAX_BATCH_PREFILL_TOKENS": "8191",
            "MAX_INPUT_LENGTH": "8191",
            "MAX_TOTAL_TOKENS": "8192",
            "MODEL_CACHE_ROOT": "/opt/ml/model",
            "SAGEMAKER_ENV": "1",
            "SAGEMAKER_MODEL_SERVER_TIMEOUT": "3600",
            "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code/",
            "SM_NUM_GPUS": "1",
        },
        default_instance_type=None,
        codec="tgi-generate",
        prompt_format="mistral-instruct",
        reproduces="a 2024 JumpStart deployment (TGI 1.1.0, inference-prepack v1.0.0) "
        "whose JumpStart version was not recorded",
        checked=_CHECKED,
        status="differs",
        # Finding: [e].
        finding="JumpStart resolves the id to version 3.28.0 (SageMaker Python SDK, us-west-2, "
        "2026-08), which runs on DJL-LMI 0.36.0 with inference-prepack v3.0.0, defaults to "
        "ml.g6e.2xlarge and no longer lists ml.g5.2xlarge",
    ),
    # Falcon 180B (base model) on TGI 1.4.0: everything from [b] (fixture "env-var-variant-model",
    # version 1.6.2): hosting_prepacked_artifact_key, inference_environment_variables,
    # default_inference_instance_type. TGI 1.4.0 could serve the messages API, but the base model ships
    # no chat template, so prompts are built client-side.
    JumpStartSpec(
        model_id="huggingface-llm-falcon-180b-bf16",
        version="1.6.2",
        gated=False,
        image="tgi",
        image_version="1.4.0",
        model_data_s3_uri_template=_PUBLIC_BUCKET
        + "/huggingface-infer/prepack/v1.2.0/infer-prepack-huggingface-llm-falcon-180b-bf16.tar.gz",
        model_data_compressed=True,
        environment={
            "ENDPOINT_SERVER_TIMEOUT": "3600",
            "HF_MODEL_ID": "/opt/ml/model",
            "MAX_INPUT_LENGTH": "1024",
            "MAX_TOTAL_TOKENS": "2048",
            "MODEL_CACHE_ROOT": "/opt/ml/model",
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_ENV": "1",
            "SAGEMAKER_MODEL_SERVER_TIMEOUT": "3600",
            "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            "SM_NUM_GPUS": "8",
        },
        default_instance_type="ml.p4de.24xlarge",
        codec="tgi-generate",
        prompt_format="falcon",
        reproduces="JumpStart version 1.6.2 (TGI 1.4.0, prepack v1.2.0), as copied into the "
        "SageMaker Python SDK's spec fixtures",
        checked=_CHECKED,
        status="unknown",
        # Finding: [d], [c] and [f].
        finding="the newest public listing is version 1.7.7, in the SDK's pretrained model table of "
        "2025-06-23; the id is not in AWS's 2026 fine-tuning list nor in the SDK's 2026 "
        "integration tests, and no deprecation notice was found",
    ),
)

_SPECS_BY_ID: dict[str, dict[str | None, JumpStartSpec]] = {}
for _spec in _JUMPSTART_SPECS:
    _SPECS_BY_ID.setdefault(_spec.model_id, {})[_spec.version] = _spec
del _spec


def _newest(versions: Iterable[str | None]) -> str | None:
    # An entry without a recorded version ranks below every recorded one.
    return max(versions, key=lambda v: (v is not None, _version_key(v) if v is not None else ()))


def jumpstart_model_ids() -> tuple[str, ...]:
    """Curated JumpStart model ids."""
    return tuple(_SPECS_BY_ID)


def jumpstart_spec(model_id: str, version: str | None = None) -> JumpStartSpec:
    """The curated spec for ``model_id`` (its newest curated version unless ``version`` is given)."""
    versions = _SPECS_BY_ID.get(model_id)
    if versions is None:
        raise _error(
            f"unknown JumpStart model id {model_id!r}",
            _suggest(model_id, _SPECS_BY_ID),
            f"curated ids: {', '.join(_SPECS_BY_ID)}",
        )
    spec = versions.get(_newest(versions) if version is None else version)
    if spec is None:
        recorded = sorted((v for v in versions if v is not None), key=_version_key)
        if not recorded:
            (only,) = versions.values()
            raise ValueError(
                f"JumpStart model {model_id!r} has no curated version {version!r}: its curated entry "
                f"reproduces {only.reproduces}; leave version out"
            )
        raise ValueError(
            f"JumpStart model {model_id!r} has no curated version {version!r}; "
            f"curated versions: {', '.join(recorded)}"
        )
    # A fresh dict, so a caller editing the environment cannot change the table.
    return dataclasses.replace(spec, environment=dict(spec.environment))


def jumpstart_note(spec: JumpStartSpec) -> str | None:
    """A warning for a curated entry whose last check found JumpStart's current release elsewhere,
    or could not confirm its status; None for an entry found offered."""
    if spec.status == "offered":
        return None
    other = (
        "To deploy JumpStart's current release, read its image, model data and environment from "
        "JumpStart and give them as image_uri + model_data (README: `jumpstart`)"
    )
    if spec.status == "differs":
        return (
            f"the curated {spec.model_id} reproduces {spec.reproduces}, not JumpStart's current "
            f"release: {spec.finding} (checked {spec.checked}). {other}"
        )
    return (
        f"the current JumpStart status of {spec.model_id} could not be confirmed on {spec.checked}: "
        f"{spec.finding}. The curated entry deploys {spec.reproduces}. {other}"
    )


def jumpstart_image_uri(spec: JumpStartSpec, region: str) -> str:
    """ECR URI of the serving image ``spec`` runs on, in ``region``."""
    if spec.image == "tgi":
        return tgi_image_uri(region, spec.image_version)
    image = _DJL_IMAGES.get((spec.image, spec.image_version))
    if image is None:
        known = ", ".join(["tgi"] + [f"{family} {version}" for family, version in _DJL_IMAGES])
        raise ValueError(
            f"no pinned image {spec.image!r} version {spec.image_version!r} for {spec.model_id!r}; "
            f"pinned images: {known}"
        )
    repository, tag, regions = image
    return _dlc_image_uri(region, repository, tag, regions, f"{spec.image} container {tag}")
