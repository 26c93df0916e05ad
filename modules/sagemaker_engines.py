"""Serving engines for ``huggingface`` endpoints: vLLM, SGLang, DJL LMI, TEI, and the legacy TGI.

Pinned facts, checked 2026-11-29, each table with its source. Nothing here calls AWS.

Images. Per engine, image families in order of preference: the Hugging Face curated Deep
Learning Container where one is published for the version, AWS's own otherwise. The tag is built
as the SageMaker SDK builds it (``sagemaker-core/.../image_uris.py`` ``_format_tag``: the
non-empty parts of tag prefix, processor, py version and container version, joined by ``-``).
Sources: aws/sagemaker-python-sdk ``sagemaker-core/src/sagemaker/core/image_uri_config/``
``huggingface-vllm.json`` (commit 08e3042231f8), ``vllm.json`` (fa5d81468c72),
``huggingface-sglang.json`` and ``djl-lmi.json`` (master a24812666d25, 2026-08-21),
``sglang.json`` (d0016e813726), ``huggingface-tei.json`` (master a24812666d25); tags
cross-checked with aws/deep-learning-containers ``docs/src/data/`` (e0ecedea6a1c, 2026-08-21).

Settings. How each container reads its engine's options (the same sources, and the containers'
SageMaker entrypoints in aws/deep-learning-containers and deepjavalibrary/djl-serving docs):
the vLLM containers turn every ``SM_VLLM_<OPTION>`` into ``--<option>`` (``true``: a bare flag)
and load ``/opt/ml/model`` when it holds the model, else ``HF_MODEL_ID``; the SGLang containers
turn ``SM_SGLANG_<OPTION>`` into ``--<option>`` and load ``SM_SGLANG_MODEL_PATH`` (default
``/opt/ml/model``); DJL LMI reads ``HF_MODEL_ID`` (a Hub id or ``/opt/ml/model``) and
``OPTION_<ENGINE ARG>``; TEI reads ``HF_MODEL_ID``. All read the Hub token from ``HF_TOKEN``.

The CUDA 13 images need a newer host than SageMaker's default GPU AMI: their production variant
names ``al2-ami-sagemaker-inference-gpu-3-1`` (the vLLM DLC's SageMaker deployment guide).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from modules.sagemaker_catalog import DLC_ACCOUNTS

if TYPE_CHECKING:
    from modules.sagemaker_catalog import InstanceInfo
    from modules.sagemaker_config import EngineSettings

Engine = Literal["vllm", "sglang", "lmi", "tgi", "tei"]
CHECKED = "2026-11-29"
CUDA13_AMI = "al2-ami-sagemaker-inference-gpu-3-1"
MODEL_DIR = "/opt/ml/model"

# The vLLM, SGLang and LMI images are published from the AWS Deep Learning Containers' registry
# of each region: the same map as huggingface-llm.json (modules/sagemaker_catalog.py).
# TEI is published from other accounts, in fewer regions (huggingface-tei.json).
_TEI_ACCOUNTS: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}


@dataclass(frozen=True)
class ImageFamily:
    """One published image line: its repository, the tag of each version, where it is published."""

    name: str  # the SDK's config name, e.g. "huggingface-vllm"
    repository: str
    tags: Mapping[str, str]  # version -> full tag
    accounts: Mapping[str, str]  # region -> registry account
    cuda13: frozenset[str] = frozenset()  # versions built on CUDA 13 (need CUDA13_AMI)


@dataclass(frozen=True)
class EngineInfo:
    label: str
    families: tuple[ImageFamily, ...]  # preferred first
    codec: str  # the inventory api the runtime speaks to it with
    # Which EngineSettings fields the engine takes, and the variable each becomes.
    settings_env: Mapping[str, str]
    # Variables set to "true" when a setting is given (vLLM needs the flag beside the parser).
    flags: Mapping[str, str]
    model_env: str  # the variable naming the model (a Hub id or MODEL_DIR)

    @property
    def versions(self) -> tuple[str, ...]:
        """Every pinned version, newest first."""
        found = {v for family in self.families for v in family.tags}
        return tuple(sorted(found, key=_version_key, reverse=True))

    @property
    def default_version(self) -> str:
        """The preferred family's newest version."""
        return max(self.families[0].tags, key=_version_key)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


_HF_VLLM = ImageFamily(
    "huggingface-vllm",
    "huggingface-vllm",
    {
        "0.27.1": "0.27.1-transformers5.10.2-gpu-py312-cu130-ubuntu22.04",
        "0.26.0": "0.26.0-transformers5.10.2-gpu-py312-cu130-ubuntu22.04",
        "0.25.1": "0.25.1-transformers5.10.2-gpu-py312-cu130-ubuntu22.04",
    },
    DLC_ACCOUNTS,
    cuda13=frozenset({"0.27.1", "0.26.0", "0.25.1"}),
)
_AWS_VLLM = ImageFamily(
    "vllm",
    "vllm",
    {"0.28.0": "0.28.0-gpu-py312-cu130-ubuntu24.04-sagemaker"},
    DLC_ACCOUNTS,
    cuda13=frozenset({"0.28.0"}),
)
_HF_SGLANG = ImageFamily(
    "huggingface-sglang",
    "huggingface-sglang",
    {"0.5.8": "0.5.8-transformers4.57.3-gpu-py312-cu129-ubuntu24.04"},
    DLC_ACCOUNTS,
)
_AWS_SGLANG = ImageFamily(
    "sglang",
    "sglang",
    {
        "0.5.18": "0.5.18-gpu-py312-cu130-ubuntu24.04-sagemaker",
        "0.5.17": "0.5.17-gpu-py312-cu130-ubuntu24.04-sagemaker",
    },
    # sglang.json lists the standard map without the ISO regions, which this table leaves out anyway.
    DLC_ACCOUNTS,
    cuda13=frozenset({"0.5.18", "0.5.17"}),
)
_LMI = ImageFamily(
    "djl-lmi",
    "djl-inference",
    {
        "0.36.0": "0.36.0-lmi27.0.0-cu130",
        "0.35.0": "0.35.0-lmi17.0.0-cu128",
        "0.34.0": "0.34.0-lmi16.0.0-cu128",
    },
    DLC_ACCOUNTS,
    cuda13=frozenset({"0.36.0"}),
)
_TEI = ImageFamily(
    "huggingface-tei",
    "tei",
    {
        "1.8.2": "2.0.1-tei1.8.2-gpu-py310-cu122-ubuntu22.04",
        "1.7.0": "2.0.1-tei1.7.0-gpu-py310-cu122-ubuntu22.04",
    },
    _TEI_ACCOUNTS,
)

_VLLM_SETTINGS = {
    "tensor_parallel_degree": "SM_VLLM_TENSOR_PARALLEL_SIZE",
    "max_model_len": "SM_VLLM_MAX_MODEL_LEN",
    "gpu_memory_fraction": "SM_VLLM_GPU_MEMORY_UTILIZATION",
    "quantization": "SM_VLLM_QUANTIZATION",
    "tool_call_parser": "SM_VLLM_TOOL_CALL_PARSER",
    "reasoning_parser": "SM_VLLM_REASONING_PARSER",
}
ENGINES: dict[str, EngineInfo] = {
    "vllm": EngineInfo(
        "vLLM",
        (_HF_VLLM, _AWS_VLLM),
        "openai-chat",
        _VLLM_SETTINGS,
        {"tool_call_parser": "SM_VLLM_ENABLE_AUTO_TOOL_CHOICE"},
        "SM_VLLM_MODEL",
    ),
    "sglang": EngineInfo(
        "SGLang",
        (_HF_SGLANG, _AWS_SGLANG),
        "openai-chat",
        {
            "tensor_parallel_degree": "SM_SGLANG_TP",
            "max_model_len": "SM_SGLANG_CONTEXT_LENGTH",
            "gpu_memory_fraction": "SM_SGLANG_MEM_FRACTION_STATIC",
            "quantization": "SM_SGLANG_QUANTIZATION",
            "tool_call_parser": "SM_SGLANG_TOOL_CALL_PARSER",
            "reasoning_parser": "SM_SGLANG_REASONING_PARSER",
        },
        {},
        "SM_SGLANG_MODEL_PATH",
    ),
    "lmi": EngineInfo(
        "DJL LMI",
        (_LMI,),
        # LMI streams JSON lines, not server-sent events.
        "lmi-chat",
        {
            "tensor_parallel_degree": "OPTION_TENSOR_PARALLEL_DEGREE",
            "max_model_len": "OPTION_MAX_MODEL_LEN",
            "gpu_memory_fraction": "OPTION_GPU_MEMORY_UTILIZATION",
            "quantization": "OPTION_QUANTIZE",
            "tool_call_parser": "OPTION_TOOL_CALL_PARSER",
            "reasoning_parser": "OPTION_REASONING_PARSER",
        },
        {"tool_call_parser": "OPTION_ENABLE_AUTO_TOOL_CHOICE"},
        "HF_MODEL_ID",
    ),
    "tei": EngineInfo("Text Embeddings Inference", (_TEI,), "tei-embed", {}, {}, "HF_MODEL_ID"),
}
TOKEN_ENV = "HF_TOKEN"  # noqa: S105 -- the variable's name


def check_settings(engine: str, settings: EngineSettings, instance: InstanceInfo) -> None:
    """The settings ``engine`` takes, within what ``instance`` has; ValueError otherwise."""
    given = {name for name, value in settings.model_dump(exclude_none=True).items() if name != "version"}
    if engine == "tgi":
        if given or settings.version is not None:
            raise ValueError(
                "engine_settings apply to engines vllm, sglang, lmi and tei; engine 'tgi' (legacy) takes "
                "tgi_version, max_input_tokens and max_total_tokens"
            )
        return
    info = ENGINES[engine]
    unsupported = sorted(given - set(info.settings_env))
    if unsupported:
        raise ValueError(
            f"engine_settings.{unsupported[0]} does not apply to engine {engine!r} ({info.label})"
        )
    if settings.version is not None and settings.version not in info.versions:
        raise ValueError(
            f"engine_settings.version {settings.version!r}: no pinned {info.label} image of that version "
            f"(table checked {CHECKED}); known versions: {', '.join(info.versions)}"
        )
    degree = settings.tensor_parallel_degree
    if degree is not None and (degree > instance.accelerators or instance.accelerators % degree):
        raise ValueError(
            f"engine_settings.tensor_parallel_degree {degree}: {instance.instance_type} has "
            f"{instance.accelerators} GPU(s); the degree must divide that number"
        )


def image(engine: str, region: str, version: str | None = None) -> tuple[str, str | None]:
    """The image URI for ``engine`` in ``region`` and the inference AMI it needs (None: the
    default); ValueError naming what is published where."""
    info = ENGINES[engine]
    wanted = version or info.default_version
    families = [f for f in info.families if wanted in f.tags]
    if not families:
        raise ValueError(
            f"no pinned {info.label} image of version {wanted!r} (table checked {CHECKED}); "
            f"known versions: {', '.join(info.versions)}"
        )
    for family in families:
        account = family.accounts.get(region)
        if account is not None:
            domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
            uri = f"{account}.dkr.ecr.{region}.{domain}/{family.repository}:{family.tags[wanted]}"
            return uri, CUDA13_AMI if wanted in family.cuda13 else None
    published = sorted({r for f in families for r in f.accounts})
    raise ValueError(
        f"the {info.label} {wanted} image is not published in region {region!r} (table checked "
        f"{CHECKED}); it is published in: {', '.join(published)}"
    )


def environment(engine: str, settings: EngineSettings, instance: InstanceInfo, model: str) -> dict[str, str]:
    """The container environment for ``engine``: the model (a Hub id, or MODEL_DIR for S3 model
    data) and the settings, the tensor parallel degree defaulting to the instance's GPUs."""
    info = ENGINES[engine]
    env = {info.model_env: model}
    values = settings.model_dump(exclude_none=True)
    if "tensor_parallel_degree" in info.settings_env:
        values.setdefault("tensor_parallel_degree", instance.accelerators)
    for name, variable in info.settings_env.items():
        if name in values:
            env[variable] = str(values[name])
            if name in info.flags:
                env[info.flags[name]] = "true"
    return env
