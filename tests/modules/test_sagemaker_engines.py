"""Serving engines of ``huggingface`` endpoints: the pinned image table, the settings each
container reads, the config's checks, and the synthesized full example (one endpoint per engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modules import sagemaker_catalog as catalog
from modules import sagemaker_engines as engines
from modules.config import load_config
from modules.sagemaker_config import EngineSettings
from tests.support import FULL_CONFIG, Synth, config_error, write_config

BASE: dict[str, Any] = {
    "kind": "huggingface",
    "name": "qwen",
    "engine": "vllm",
    "hf_model_id": "Qwen/Qwen3-8B",
    "instance_type": "ml.g5.12xlarge",
}


def _config(region: str = "us-east-1", **changes: Any) -> dict[str, Any]:
    return {"prefix": "llm", "region": region, "sagemaker": {"endpoints": [{**BASE, **changes}]}}


@pytest.mark.parametrize(
    ("engine", "region", "version", "uri", "ami"),
    [
        (
            "vllm",
            "eu-west-1",
            None,
            "763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-vllm:0.27.1-transformers5.10.2-gpu-py312-cu130-ubuntu22.04",
            engines.CUDA13_AMI,
        ),
        # A version only AWS's own image has: that image.
        (
            "vllm",
            "us-east-1",
            "0.28.0",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/vllm:0.28.0-gpu-py312-cu130-ubuntu24.04-sagemaker",
            engines.CUDA13_AMI,
        ),
        (
            "sglang",
            "cn-north-1",
            None,
            "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/huggingface-sglang:0.5.8-transformers4.57.3-gpu-py312-cu129-ubuntu24.04",
            None,
        ),
        (
            "lmi",
            "us-west-2",
            "0.35.0",
            "763104351884.dkr.ecr.us-west-2.amazonaws.com/djl-inference:0.35.0-lmi17.0.0-cu128",
            None,
        ),
        (
            "tei",
            "us-east-1",
            None,
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/tei:2.0.1-tei1.8.2-gpu-py310-cu122-ubuntu22.04",
            None,
        ),
    ],
)
def test_images_by_engine_region_and_version(
    engine: str, region: str, version: str | None, uri: str, ami: str | None
) -> None:
    assert engines.image(engine, region, version) == (uri, ami)


def test_an_unknown_version_or_region_is_a_clear_error() -> None:
    with pytest.raises(
        ValueError, match=r"no pinned vLLM image of version '0\.1\.0' .*known versions: 0\.28\.0, 0\.27\.1"
    ):
        engines.image("vllm", "us-east-1", "0.1.0")
    # TEI is published from its own accounts, in fewer regions.
    with pytest.raises(ValueError, match=r"not published in region 'mx-central-1'.*published in: af-south-1"):
        engines.image("tei", "mx-central-1")


def test_settings_become_each_containers_variables() -> None:
    settings = EngineSettings(
        max_model_len=8192,
        gpu_memory_fraction=0.85,
        quantization="awq",
        tool_call_parser="hermes",
        reasoning_parser="qwen3",
    )
    g5_12 = catalog.instance_info("ml.g5.12xlarge")

    assert engines.environment("vllm", settings, g5_12, "Qwen/Qwen3-8B") == {
        "SM_VLLM_MODEL": "Qwen/Qwen3-8B",
        "SM_VLLM_TENSOR_PARALLEL_SIZE": "4",  # the instance's GPUs
        "SM_VLLM_MAX_MODEL_LEN": "8192",
        "SM_VLLM_GPU_MEMORY_UTILIZATION": "0.85",
        "SM_VLLM_QUANTIZATION": "awq",
        "SM_VLLM_TOOL_CALL_PARSER": "hermes",
        "SM_VLLM_ENABLE_AUTO_TOOL_CHOICE": "true",
        "SM_VLLM_REASONING_PARSER": "qwen3",
    }
    sglang = engines.environment("sglang", EngineSettings(tensor_parallel_degree=2), g5_12, engines.MODEL_DIR)
    assert sglang == {"SM_SGLANG_MODEL_PATH": "/opt/ml/model", "SM_SGLANG_TP": "2"}
    lmi = engines.environment("lmi", EngineSettings(tool_call_parser="mistral"), g5_12, "m/m")
    assert lmi == {
        "HF_MODEL_ID": "m/m",
        "OPTION_TENSOR_PARALLEL_DEGREE": "4",
        "OPTION_TOOL_CALL_PARSER": "mistral",
        "OPTION_ENABLE_AUTO_TOOL_CHOICE": "true",
    }
    assert engines.environment("tei", EngineSettings(), g5_12, "BAAI/bge-m3") == {
        "HF_MODEL_ID": "BAAI/bge-m3"
    }


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"engine_settings": {"tensor_parallel_degree": 3}}, "has 4 GPU(s); the degree must divide"),
        ({"engine_settings": {"version": "9.9.9"}}, "known versions: 0.28.0, 0.27.1"),
        ({"engine_settings": {"gpu_memory_fraction": 1.5}}, "gpu_memory_fraction"),
        ({"engine_settings": {"tool_call_parser": "Bad Parser!"}}, "tool_call_parser"),
        ({"tgi_version": "3.3.6"}, "tgi_version apply to engine 'tgi' only"),
        (
            {"codec": "tgi-generate", "prompt_format": "chatml"},
            "codec and prompt_format apply to engine 'tgi' only",
        ),
        ({"task": "embedding"}, "task 'embedding' needs engine 'tei'"),
        ({"engine": "tei"}, "engine 'tei' (Text Embeddings Inference) serves task 'embedding'"),
        (
            {"engine": "tei", "task": "embedding", "engine_settings": {"max_model_len": 512}},
            "does not apply to engine 'tei'",
        ),
        (
            {"engine": "tgi", "engine_settings": {"max_model_len": 512}},
            "engine 'tgi' (legacy) takes tgi_version",
        ),
        ({"model_data": "s3://bucket-x/m/"}, "either hf_model_id"),
        ({"network_isolation": True}, "put the weights in S3 and use model_data"),
        ({"engine": "trtllm"}, "engine"),
    ],
)
def test_bad_engine_configs_are_refused_with_the_field(
    tmp_path: Path, changes: dict[str, Any], words: str
) -> None:
    message = config_error(tmp_path, _config(**changes))
    assert words in message


def test_a_region_the_engine_image_is_not_published_in_fails_at_load(tmp_path: Path) -> None:
    message = config_error(tmp_path, _config("mx-central-1", engine="tei", task="embedding"))
    assert "sagemaker.endpoints[0]: the Text Embeddings Inference 1.8.2 image is not published" in message


def test_tgi_is_legacy_and_warned_about_whether_named_or_left_out(tmp_path: Path) -> None:
    named = {**BASE, "name": "a", "engine": "tgi", "instance_type": "ml.g5.2xlarge"}
    unnamed = {key: value for key, value in {**BASE, "name": "b"}.items() if key != "engine"}
    config = load_config(
        write_config(
            tmp_path,
            {"prefix": "llm", "region": "us-east-1", "sagemaker": {"endpoints": [named, unnamed, BASE]}},
        )
    )

    notes = config.engine_notes()

    assert len(notes) == 2 and all("archived it on 2026-03-21" in n for n in notes)
    assert notes[0].startswith("sagemaker.endpoints[0] ('a'): engine 'tgi' is legacy")
    assert notes[1].endswith("without 'engine' the endpoint stays on TGI")
    assert [m.api for m in config.inventory().models] == ["tgi-messages", "tgi-messages", "openai-chat"]


# --- the full example: one endpoint per engine ----------------------------------------------------


@pytest.fixture(scope="module")
def full(full_stacks: dict[str, Synth]) -> Synth:
    return full_stacks["full"]


def _model(full: Synth, name: str) -> dict[str, Any]:
    return full.resources("aws_sagemaker_model")[name]["primary_container"]


def _variant(full: Synth, name: str) -> dict[str, Any]:
    return full.resources("aws_sagemaker_endpoint_configuration")[name]["production_variants"][0]


def test_the_full_example_has_each_engine_with_its_image_and_environment(full: Synth) -> None:
    vllm = _model(full, "qwen3_vllm")
    assert vllm["image"].endswith("/huggingface-vllm:0.27.1-transformers5.10.2-gpu-py312-cu130-ubuntu22.04")
    assert vllm["environment"]["SM_VLLM_MODEL"] == "Qwen/Qwen3-8B"
    assert vllm["environment"]["SM_VLLM_TOOL_CALL_PARSER"] == "hermes"
    assert vllm["environment"]["HF_TOKEN"] == "${local.huggingface_token}"
    assert _variant(full, "qwen3_vllm")["inference_ami_version"] == engines.CUDA13_AMI

    sglang = _model(full, "llama_sglang")
    assert sglang["image"].endswith(
        "/huggingface-sglang:0.5.8-transformers4.57.3-gpu-py312-cu129-ubuntu24.04"
    )
    assert sglang["environment"] == {
        "SM_SGLANG_MODEL_PATH": "/opt/ml/model",
        "SM_SGLANG_TP": "4",
        "SM_SGLANG_TOOL_CALL_PARSER": "llama3",
    }
    # S3 model data, no token: it never reaches the Hub.
    assert (
        sglang["model_data_source"]["s3_data_source"][0]["s3_uri"]
        == "s3://example-model-weights/llama-3-1-8b-instruct/"
    )
    assert "inference_ami_version" not in _variant(full, "llama_sglang")

    lmi = _model(full, "mistral_lmi")
    assert lmi["image"].endswith("/djl-inference:0.36.0-lmi27.0.0-cu130")
    assert lmi["environment"]["OPTION_ENABLE_AUTO_TOOL_CHOICE"] == "true"

    tei = _model(full, "bge_m3")
    assert (
        tei["image"]
        == "683313688378.dkr.ecr.us-east-1.amazonaws.com/tei:2.0.1-tei1.8.2-gpu-py310-cu122-ubuntu22.04"
    )
    assert tei["environment"]["HF_MODEL_ID"] == "BAAI/bge-m3"


def test_the_full_examples_inventory_speaks_each_engines_schema() -> None:
    apis = {m.id: (m.api, m.task) for m in load_config(FULL_CONFIG).inventory().models}
    assert apis["qwen3-vllm"] == ("openai-chat", "chat")
    assert apis["llama-sglang"] == ("openai-chat", "chat")
    assert apis["mistral-lmi"] == ("lmi-chat", "chat")
    assert apis["bge-m3"] == ("tei-embed", "embedding")


def test_an_existing_tei_endpoint_serves_embeddings(tmp_path: Path) -> None:
    existing = {
        "kind": "existing_endpoint",
        "name": "emb",
        "endpoint_name": "shared-tei",
        "task": "embedding",
    }
    config = load_config(
        write_config(
            tmp_path, {"prefix": "llm", "region": "us-east-1", "sagemaker": {"endpoints": [existing]}}
        )
    )

    (spec,) = config.inventory().models
    assert (spec.model, spec.api, spec.task) == ("shared-tei", "tei-embed", "embedding")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"task": "embedding", "codec": "openai-chat"}, "an embedding endpoint takes codec 'tei-embed'"),
        ({"codec": "tei-embed"}, "codec 'tei-embed' serves embeddings: set task 'embedding'"),
    ],
)
def test_existing_endpoint_task_and_codec_must_agree(
    tmp_path: Path, changes: dict[str, Any], words: str
) -> None:
    existing = {"kind": "existing_endpoint", "name": "x", "endpoint_name": "x-ep", **changes}
    message = config_error(
        tmp_path, {"prefix": "llm", "region": "us-east-1", "sagemaker": {"endpoints": [existing]}}
    )
    assert words in message
