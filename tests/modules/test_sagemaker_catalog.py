"""The SageMaker catalog: pinned tables and the lookups (and their error messages) built on them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from modules import sagemaker_catalog as catalog

FAMILIES = "g4dn, g5, g6, g6e, p3, p4d, p4de, p5, p5e, p5en, inf2, trn1"
S3_TEMPLATE = re.compile(
    r"^s3://jumpstart-(?P<private>private-)?cache-prod-\{region\}/(?P<key>[A-Za-z0-9._/-]+)$"
)


# ------------------------------------------------------------------------------------------------
# Instances
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "family", "accelerators", "kind", "memory", "volume"),
    [
        ("ml.g4dn.12xlarge", "g4dn", 4, "nvidia", 64, False),
        ("ml.g5.2xlarge", "g5", 1, "nvidia", 24, False),
        ("ml.g5.48xlarge", "g5", 8, "nvidia", 192, False),
        ("ml.g6.12xlarge", "g6", 4, "nvidia", 96, False),
        ("ml.g6e.2xlarge", "g6e", 1, "nvidia", 48, False),
        ("ml.p3.2xlarge", "p3", 1, "nvidia", 16, True),
        ("ml.p3.16xlarge", "p3", 8, "nvidia", 128, True),
        ("ml.p4d.24xlarge", "p4d", 8, "nvidia", 320, False),
        ("ml.p4de.24xlarge", "p4de", 8, "nvidia", 640, False),
        ("ml.p5.48xlarge", "p5", 8, "nvidia", 640, False),
        ("ml.p5e.48xlarge", "p5e", 8, "nvidia", 1128, False),
        ("ml.p5en.48xlarge", "p5en", 8, "nvidia", 1128, False),
        ("ml.inf2.xlarge", "inf2", 1, "neuron", 32, True),
        ("ml.inf2.48xlarge", "inf2", 12, "neuron", 384, True),
        ("ml.trn1.2xlarge", "trn1", 1, "neuron", 32, False),
        ("ml.trn1.32xlarge", "trn1", 16, "neuron", 512, False),
    ],
)
def test_instance_info(
    instance_type: str, family: str, accelerators: int, kind: str, memory: int, volume: bool
) -> None:
    assert catalog.instance_info(instance_type) == catalog.InstanceInfo(
        instance_type=instance_type,
        family=family,
        accelerators=accelerators,
        accelerator_kind=kind,
        gpu_memory_gib=memory,
        supports_volume_size=volume,
    )


def test_volume_size_follows_local_nvme_storage() -> None:
    # NVMe-backed families never take VolumeSizeInGB; EBS-only ones (p3, inf2) always do.
    for instance_type in catalog.instance_types():
        info = catalog.instance_info(instance_type)
        assert info.supports_volume_size is (info.family in {"p3", "inf2"}), instance_type


def test_instance_types_cover_every_family_and_are_consistent() -> None:
    types = catalog.instance_types()
    assert len(types) == len(set(types))
    assert {catalog.instance_info(t).family for t in types} == set(FAMILIES.split(", "))
    for instance_type in types:
        info = catalog.instance_info(instance_type)
        assert instance_type == f"ml.{info.family}.{instance_type.split('.')[2]}"
        assert info.accelerators >= 1
        assert info.gpu_memory_gib % info.accelerators == 0
        assert info.accelerator_kind == ("neuron" if info.family in {"inf2", "trn1"} else "nvidia")
    # p3dn is a training-only type; SageMaker offers no endpoint on it.
    assert not any(".p3dn." in t for t in types)


def test_instance_typo_suggests_the_close_match() -> None:
    with pytest.raises(ValueError, match=r"did you mean") as info:
        catalog.instance_info("ml.g5.2xlarg")
    assert str(info.value) == (
        "unknown SageMaker instance type 'ml.g5.2xlarg'; did you mean 'ml.g5.2xlarge'? "
        f"LLM endpoints use the accelerator families: {FAMILIES}"
    )


def test_instance_without_ml_prefix_suggests_the_prefixed_name() -> None:
    with pytest.raises(ValueError, match=r"did you mean 'ml\.g6e\.12xlarge'\?"):
        catalog.instance_info("g6e.12xlarge")


@pytest.mark.parametrize("instance_type", ["ml.m5.large", "ml.c7i.4xlarge", "", "ml.g5"])
def test_non_accelerator_instance_gets_no_misleading_suggestion(instance_type: str) -> None:
    with pytest.raises(ValueError, match=r"^unknown SageMaker instance type ") as info:
        catalog.instance_info(instance_type)
    assert str(info.value) == (
        f"unknown SageMaker instance type {instance_type!r}; "
        f"LLM endpoints use the accelerator families: {FAMILIES}"
    )


def test_instance_info_is_frozen() -> None:
    info = catalog.instance_info("ml.g5.xlarge")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.accelerators = 2  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------
# TGI
# ------------------------------------------------------------------------------------------------


def test_tgi_versions_include_newest_and_are_sorted() -> None:
    versions = catalog.tgi_versions()
    assert len(versions) >= 3
    assert versions == tuple(sorted(versions, key=lambda v: tuple(map(int, v.split(".")))))
    assert catalog.TGI_DEFAULT_VERSION == versions[-1] == "3.3.6"
    assert {"1.4.5", "2.4.0", "3.3.6"} <= set(versions)


@pytest.mark.parametrize(
    ("version", "tag"),
    [
        ("1.1.0", "2.0.1-tgi1.1.0-gpu-py39-cu118-ubuntu20.04"),
        ("1.4.5", "2.1.1-tgi1.4.5-gpu-py310-cu121-ubuntu22.04"),
        ("2.4.0", "2.4.0-tgi2.4.0-gpu-py311-cu124-ubuntu22.04-v2.2"),
        ("3.0.1", "2.4.0-tgi3.0.1-gpu-py311-cu124-ubuntu22.04-v2.1"),
        ("3.3.6", "2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04"),
    ],
)
def test_tgi_image_uri_us_east_1(version: str, tag: str) -> None:
    assert catalog.tgi_image_uri("us-east-1", version) == (
        f"763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:{tag}"
    )


def test_tgi_image_uri_defaults_to_newest() -> None:
    assert catalog.tgi_image_uri("eu-west-1") == catalog.tgi_image_uri("eu-west-1", "3.3.6")


@pytest.mark.parametrize(
    ("region", "uri"),
    [
        (
            "cn-north-1",
            "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/huggingface-pytorch-tgi-inference:"
            "2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04",
        ),
        (
            "us-gov-west-1",
            "442386744353.dkr.ecr.us-gov-west-1.amazonaws.com/huggingface-pytorch-tgi-inference:"
            "2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04",
        ),
        (
            "af-south-1",
            "626614931356.dkr.ecr.af-south-1.amazonaws.com/huggingface-pytorch-tgi-inference:"
            "2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04",
        ),
    ],
)
def test_tgi_image_uri_other_partitions_and_registries(region: str, uri: str) -> None:
    assert catalog.tgi_image_uri(region) == uri


def test_tgi_image_uri_domain_matches_partition_everywhere() -> None:
    for region in catalog.tgi_regions():
        host = catalog.tgi_image_uri(region).split("/")[0]
        domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        assert re.fullmatch(rf"\d{{12}}\.dkr\.ecr\.{re.escape(region)}\.{re.escape(domain)}", host), host


def test_tgi_regions_cover_partitions_but_not_iso() -> None:
    regions = set(catalog.tgi_regions())
    assert {"us-east-1", "eu-central-1", "ap-southeast-2", "cn-north-1", "us-gov-east-1"} <= regions
    assert not any(r.startswith("us-iso") for r in regions)


def test_tgi_unknown_region() -> None:
    with pytest.raises(ValueError, match=r"not published in region") as info:
        catalog.tgi_image_uri("xx-nowhere-1")
    message = str(info.value)
    assert message.startswith(
        "the Hugging Face TGI container is not published in region 'xx-nowhere-1'; it is published in: "
    )
    assert "did you mean" not in message
    assert "us-east-1" in message and "cn-north-1" in message


def test_tgi_well_formed_unpublished_region_gets_no_suggestion() -> None:
    with pytest.raises(ValueError, match=r"region 'us-iso-east-1'; it is published in: "):
        catalog.tgi_image_uri("us-iso-east-1")


def test_tgi_region_typo_suggests() -> None:
    with pytest.raises(ValueError, match=r"region 'us-east1'; did you mean 'us-east-1'\? It is published in"):
        catalog.tgi_image_uri("us-east1")


def test_tgi_unknown_version_lists_known_ones() -> None:
    with pytest.raises(ValueError, match=r"^unknown Hugging Face TGI version") as info:
        catalog.tgi_image_uri("us-east-1", "9.9.9")
    assert str(info.value) == (
        "unknown Hugging Face TGI version '9.9.9'; known versions: " + ", ".join(catalog.tgi_versions())
    )


@pytest.mark.parametrize(("given", "suggested"), [("3.3", "3.3.6"), ("v2.4.0", "2.4.0"), ("1.4", "1.4.5")])
def test_tgi_version_near_miss_suggests(given: str, suggested: str) -> None:
    with pytest.raises(ValueError, match=rf"did you mean '{re.escape(suggested)}'\? Known versions: "):
        catalog.tgi_env_names(given)


@pytest.mark.parametrize(
    ("version", "max_input", "messages_api", "token_names"),
    [
        ("1.1.0", "MAX_INPUT_LENGTH", None, ("HUGGING_FACE_HUB_TOKEN",)),
        ("1.4.0", "MAX_INPUT_LENGTH", "MESSAGES_API_ENABLED", ("HUGGING_FACE_HUB_TOKEN",)),
        ("1.4.5", "MAX_INPUT_LENGTH", "MESSAGES_API_ENABLED", ("HUGGING_FACE_HUB_TOKEN",)),
        ("2.0.2", "MAX_INPUT_TOKENS", "MESSAGES_API_ENABLED", ("HUGGING_FACE_HUB_TOKEN",)),
        ("2.3.1", "MAX_INPUT_TOKENS", "MESSAGES_API_ENABLED", ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")),
        ("3.3.6", "MAX_INPUT_TOKENS", "MESSAGES_API_ENABLED", ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")),
    ],
)
def test_tgi_env_names_by_version(
    version: str, max_input: str, messages_api: str | None, token_names: tuple[str, ...]
) -> None:
    assert catalog.tgi_env_names(version) == catalog.TgiEnvNames(
        max_input=max_input,
        max_total="MAX_TOTAL_TOKENS",
        messages_api=messages_api,
        token_names=token_names,
    )


def test_tgi_env_names_known_for_every_version() -> None:
    for version in catalog.tgi_versions():
        names = catalog.tgi_env_names(version)
        assert names.max_total == "MAX_TOTAL_TOKENS"
        assert names.token_names and len(set(names.token_names)) == len(names.token_names)


# ------------------------------------------------------------------------------------------------
# JumpStart
# ------------------------------------------------------------------------------------------------

CODECS = {"tgi-messages", "tgi-generate", "jumpstart-llama2-chat"}
PROMPT_FORMATS = {"llama2-chat", "llama3-chat", "mistral-instruct", "falcon", "chatml"}


def _all_specs() -> list[catalog.JumpStartSpec]:
    return [catalog.jumpstart_spec(model_id) for model_id in catalog.jumpstart_model_ids()]


def test_curated_set_has_the_required_models() -> None:
    ids = catalog.jumpstart_model_ids()
    assert len(ids) == len(set(ids))
    assert "meta-textgeneration-llama-3-1-8b-instruct" in ids
    assert "meta-textgeneration-llama-2-7b-f" in ids
    assert "huggingface-llm-mistral-7b-instruct" in ids
    assert any("falcon" in model_id for model_id in ids)


@pytest.mark.parametrize(
    ("model_id", "gated"),
    [
        ("meta-textgeneration-llama-3-1-8b-instruct", True),
        ("meta-textgeneration-llama-2-7b-f", True),
        ("huggingface-llm-mistral-7b-instruct", False),
        ("huggingface-llm-falcon-180b-bf16", False),
    ],
)
def test_gated_flags(model_id: str, gated: bool) -> None:
    assert catalog.jumpstart_spec(model_id).gated is gated


def test_every_spec_model_data_template_is_a_jumpstart_s3_uri() -> None:
    for spec in _all_specs():
        template = spec.model_data_s3_uri_template
        assert template.count("{region}") == 1, spec.model_id
        match = S3_TEMPLATE.match(template)
        assert match, template
        # Gated models are served from the private cache, the others from the public one.
        assert bool(match["private"]) is spec.gated, spec.model_id
        assert "//" not in match["key"]
        if spec.model_data_compressed:
            assert template.endswith(".tar.gz"), template
        else:
            assert template.endswith("/"), template
        uri = template.format(region="eu-west-1")
        assert uri.startswith("s3://jumpstart-") and "cache-prod-eu-west-1/" in uri


def test_every_spec_is_internally_consistent() -> None:
    for spec in _all_specs():
        assert spec.codec in CODECS, spec.model_id
        assert spec.prompt_format is None or spec.prompt_format in PROMPT_FORMATS
        # A single-prompt codec needs a prompt format; the dialog codec builds the prompt itself.
        assert (spec.prompt_format is not None) is (spec.codec == "tgi-generate"), spec.model_id
        if spec.default_instance_type is not None:
            catalog.instance_info(spec.default_instance_type)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in spec.environment.items())
        assert spec.version is None or re.fullmatch(r"\d+\.\d+\.\d+", spec.version), spec.version
        if spec.image == "tgi":
            # TGI-based specs must use a pinned TGI version, and name its input-limit variable.
            names = catalog.tgi_env_names(spec.image_version)
            assert names.max_input in spec.environment, spec.model_id
            assert spec.environment["HF_MODEL_ID"] == "/opt/ml/model"


def test_llama2_chat_uses_the_dialog_codec() -> None:
    spec = catalog.jumpstart_spec("meta-textgeneration-llama-2-7b-f")
    assert spec.codec == "jumpstart-llama2-chat"
    assert spec.prompt_format is None
    assert spec.image == "djl-deepspeed"
    assert spec.model_data_compressed is True


@pytest.mark.parametrize(
    ("model_id", "region", "uri"),
    [
        (
            "huggingface-llm-mistral-7b-instruct",
            "us-east-1",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:"
            "2.0.1-tgi1.1.0-gpu-py39-cu118-ubuntu20.04",
        ),
        (
            "huggingface-llm-falcon-180b-bf16",
            "us-east-1",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:"
            "2.1.1-tgi1.4.0-gpu-py310-cu121-ubuntu20.04",
        ),
        (
            "meta-textgeneration-llama-3-1-8b-instruct",
            "us-east-1",
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124",
        ),
        (
            "meta-textgeneration-llama-2-7b-f",
            "us-west-2",
            "763104351884.dkr.ecr.us-west-2.amazonaws.com/djl-inference:0.23.0-deepspeed0.9.5-cu118",
        ),
        (
            "meta-textgeneration-llama-3-1-8b-instruct",
            "cn-northwest-1",
            "727897471807.dkr.ecr.cn-northwest-1.amazonaws.com.cn/djl-inference:0.29.0-lmi11.0.0-cu124",
        ),
    ],
)
def test_jumpstart_image_uri(model_id: str, region: str, uri: str) -> None:
    assert catalog.jumpstart_image_uri(catalog.jumpstart_spec(model_id), region) == uri


def test_jumpstart_image_uri_every_spec_us_east_1() -> None:
    for spec in _all_specs():
        uri = catalog.jumpstart_image_uri(spec, "us-east-1")
        assert re.fullmatch(r"763104351884\.dkr\.ecr\.us-east-1\.amazonaws\.com/[a-z-]+:[\w.-]+", uri), uri


def test_jumpstart_image_uri_region_not_published() -> None:
    spec = catalog.jumpstart_spec("meta-textgeneration-llama-2-7b-f")
    # ap-east-2 is a real region this image skips: no "did you mean" pointing elsewhere.
    with pytest.raises(
        ValueError,
        match=r"^the djl-deepspeed container 0\.23\.0-deepspeed0\.9\.5-cu118 is not published in "
        r"region 'ap-east-2'; it is published in: af-south-1, ap-east-1, ap-northeast-1,",
    ):
        catalog.jumpstart_image_uri(spec, "ap-east-2")
    # The same region carries the TGI image, so TGI-based specs deploy there.
    mistral = catalog.jumpstart_spec("huggingface-llm-mistral-7b-instruct")
    assert catalog.jumpstart_image_uri(mistral, "ap-east-2").startswith("975050140332.dkr.ecr.ap-east-2.")


def test_jumpstart_image_uri_unpinned_image() -> None:
    spec = dataclasses.replace(
        catalog.jumpstart_spec("meta-textgeneration-llama-2-7b-f"), image_version="0.1.0"
    )
    with pytest.raises(ValueError, match=r"no pinned image 'djl-deepspeed' version '0\.1\.0'"):
        catalog.jumpstart_image_uri(spec, "us-east-1")


def test_jumpstart_spec_explicit_version_matches_default() -> None:
    spec = catalog.jumpstart_spec("meta-textgeneration-llama-2-7b-f")
    assert catalog.jumpstart_spec(spec.model_id, spec.version) == spec


def test_jumpstart_unknown_id_suggests_and_lists() -> None:
    with pytest.raises(ValueError, match=r"^unknown JumpStart model id") as info:
        catalog.jumpstart_spec("huggingface-llm-mistral-7b-instruc")
    message = str(info.value)
    assert message.startswith(
        "unknown JumpStart model id 'huggingface-llm-mistral-7b-instruc'; "
        "did you mean 'huggingface-llm-mistral-7b-instruct'? Curated ids: "
    )
    for model_id in catalog.jumpstart_model_ids():
        assert model_id in message


def test_jumpstart_unknown_version_lists_curated_versions() -> None:
    with pytest.raises(ValueError, match=r"has no curated version") as info:
        catalog.jumpstart_spec("meta-textgeneration-llama-2-7b-f", "9.9.9")
    assert str(info.value) == (
        "JumpStart model 'meta-textgeneration-llama-2-7b-f' has no curated version '9.9.9'; "
        "curated versions: 2.0.4"
    )


def test_jumpstart_spec_environment_cannot_corrupt_the_table() -> None:
    first = catalog.jumpstart_spec("huggingface-llm-mistral-7b-instruct")
    first.environment["SM_NUM_GPUS"] = "8"
    assert catalog.jumpstart_spec("huggingface-llm-mistral-7b-instruct").environment["SM_NUM_GPUS"] == "1"


# ------------------------------------------------------------------------------------------------
# JumpStart: what each entry records about its sources and its last check
# ------------------------------------------------------------------------------------------------


def test_every_entry_records_its_check() -> None:
    for spec in _all_specs():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", spec.checked), spec.model_id
        assert spec.checked == "2026-11-29", spec.model_id
        assert spec.status in ("offered", "differs", "unknown"), spec.model_id
        assert spec.finding and spec.reproduces, spec.model_id
        # An entry that names no JumpStart version says why: its source did not record one.
        assert (spec.version is None) is ("version was not recorded" in spec.reproduces), spec.model_id


def test_no_unverified_fact_is_left_in_the_catalog() -> None:
    source = Path(catalog.__file__).read_text(encoding="utf-8")
    assert "unverified" not in source.lower()


@pytest.mark.parametrize(
    ("model_id", "version", "default_instance", "status"),
    [
        # Captured deployments record neither the JumpStart version nor a default instance.
        ("meta-textgeneration-llama-3-1-8b-instruct", None, None, "offered"),
        ("huggingface-llm-mistral-7b-instruct", None, None, "differs"),
        # The SDK's spec fixtures record both.
        ("meta-textgeneration-llama-2-7b-f", "2.0.4", "ml.g5.2xlarge", "unknown"),
        ("huggingface-llm-falcon-180b-bf16", "1.6.2", "ml.p4de.24xlarge", "unknown"),
    ],
)
def test_what_each_entry_claims(
    model_id: str, version: str | None, default_instance: str | None, status: str
) -> None:
    spec = catalog.jumpstart_spec(model_id)
    assert (spec.version, spec.default_instance_type, spec.status) == (version, default_instance, status)


def test_an_entry_found_offered_gets_no_note() -> None:
    assert catalog.jumpstart_note(catalog.jumpstart_spec("meta-textgeneration-llama-3-1-8b-instruct")) is None


def test_mistral_note_names_the_current_release_and_the_way_to_deploy_it() -> None:
    note = catalog.jumpstart_note(catalog.jumpstart_spec("huggingface-llm-mistral-7b-instruct"))
    assert note is not None
    assert note.startswith(
        "the curated huggingface-llm-mistral-7b-instruct reproduces a 2024 JumpStart deployment "
        "(TGI 1.1.0, inference-prepack v1.0.0) whose JumpStart version was not recorded, not "
        "JumpStart's current release: JumpStart resolves the id to version 3.28.0"
    )
    for fact in ("DJL-LMI 0.36.0", "inference-prepack v3.0.0", "ml.g6e.2xlarge", "(checked 2026-11-29)"):
        assert fact in note
    assert note.endswith("give them as image_uri + model_data (README: `jumpstart`)")
    assert "[" not in note  # the table's source keys stay in the source file


@pytest.mark.parametrize(
    ("model_id", "newest"),
    [("meta-textgeneration-llama-2-7b-f", "4.17.0"), ("huggingface-llm-falcon-180b-bf16", "1.7.7")],
)
def test_an_entry_of_unknown_status_says_so(model_id: str, newest: str) -> None:
    note = catalog.jumpstart_note(catalog.jumpstart_spec(model_id))
    assert note is not None
    assert note.startswith(
        f"the current JumpStart status of {model_id} could not be confirmed on 2026-11-29: the newest "
        f"public listing is version {newest}, in the SDK's pretrained model table of 2025-06-23"
    )
    assert f"The curated entry deploys JumpStart version {catalog.jumpstart_spec(model_id).version}" in note


@pytest.mark.parametrize(
    ("model_id", "what"),
    [
        ("meta-textgeneration-llama-3-1-8b-instruct", "djl-lmi 0.29.0, inference-prepack v2.0.0"),
        ("huggingface-llm-mistral-7b-instruct", "TGI 1.1.0, inference-prepack v1.0.0"),
    ],
)
def test_a_version_for_an_entry_without_one_is_refused_with_the_reason(model_id: str, what: str) -> None:
    # "2.0.0" was named for both before the check found it unsupported by any source.
    with pytest.raises(ValueError, match=r"leave version out$") as info:
        catalog.jumpstart_spec(model_id, "2.0.0")
    assert str(info.value) == (
        f"JumpStart model {model_id!r} has no curated version '2.0.0': its curated entry reproduces "
        f"a 2024 JumpStart deployment ({what}) whose JumpStart version was not recorded; leave version out"
    )
    assert catalog.jumpstart_spec(model_id, None).version is None


def test_the_readme_table_matches_the_curated_entries() -> None:
    from tests.support import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `jumpstart`: a JumpStart model") :]
    section = section[: section.index("\n### ")]
    lines = [line for line in section.splitlines() if line.startswith("| `")][1:]  # after the header
    rows = {line.split("`")[1]: line for line in lines}
    assert set(rows) == set(catalog.jumpstart_model_ids())
    words = {"offered": "offered:", "differs": "differs:", "unknown": "status unknown:"}
    for spec in _all_specs():
        cells = [cell.strip() for cell in rows[spec.model_id].strip("|").split("|")]
        assert cells[2] == (f"`{spec.version}`" if spec.version else "not recorded"), spec.model_id
        assert cells[3] == (f"`{spec.default_instance_type}`" if spec.default_instance_type else "none")
        assert cells[4].startswith(words[spec.status]), spec.model_id
        assert ("(gated)" in cells[0]) is spec.gated, spec.model_id
        assert f"**{spec.checked}**" in section
