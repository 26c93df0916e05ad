"""The synth entry point: a bad config fails before anything is written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import main
from tests.support import REPO_ROOT, Synth


def test_bad_config_exits_non_zero_and_leaves_previous_output_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({"prefix": "llm", "region": "us-east-1", "lambda": {"memory": 1}}))
    outdir = tmp_path / "cdktf.out"
    outdir.mkdir()
    (outdir / "marker").write_text("previous synth")
    assert main.main(["--config", str(cfg), "--outdir", str(outdir)]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}: lambda.memory: unknown field" in err
    assert "Traceback" not in err
    assert [p.name for p in outdir.iterdir()] == ["marker"]
    assert not list(tmp_path.glob(".cdktf.out.*"))


def test_bad_config_in_a_fresh_process_is_fast_and_clean(tmp_path: Path) -> None:
    """The CLI validates before importing cdktf: no 12 s import, no traceback, exit 2."""
    cfg = tmp_path / "bad.json"
    cfg.write_text('{"prefix": "llm", "region": "moon-base-1"}')
    outdir = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "main.py", "--config", str(cfg), "--outdir", str(outdir)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"{cfg}: region: region 'moon-base-1' does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not outdir.exists()
    assert result.stdout == ""


def test_synth_writes_the_stack_where_users_expect_it(default_synth: Synth) -> None:
    assert default_synth.stack_dir.name == "llm"
    assert (default_synth.stack_dir / "cdk.tf.json").is_file()
    manifest = json.loads((default_synth.stack_dir.parent.parent / "manifest.json").read_text())
    assert list(manifest["stacks"]) == ["llm"]
    # the staging directory is gone after a successful synth
    assert not list(default_synth.stack_dir.parent.parent.parent.glob(".cdktf.out.*"))


def test_public_url_is_reported_loudly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support import VARIANT_CONFIG

    main._warn_public(main.load_config(_dump(tmp_path, VARIANT_CONFIG)))
    err = capsys.readouterr().err
    assert "WARNING: function_url.auth_type is NONE" in err


def _dump(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    return path


def test_endpoint_cost_note_counts_every_endpoint_and_its_autoscaling_maximum(tmp_path: Path) -> None:
    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0"

    def endpoint(name: str, instance: str, count: int = 1, **extra: Any) -> dict[str, Any]:
        return {
            "kind": "custom", "name": name, "image_uri": image, "model_data": "s3://weights/m/",
            "codec": "tgi-messages", "instance_type": instance, "instance_count": count, **extra,
        }  # fmt: skip

    config = main.load_config(
        _dump(
            tmp_path,
            {
                "prefix": "cost",
                "region": "us-east-1",
                "sagemaker": {
                    "endpoints": [
                        endpoint("a", "ml.g5.2xlarge"),
                        endpoint(
                            "b", "ml.g5.2xlarge", 2, autoscaling={"min_instances": 1, "max_instances": 5}
                        ),
                        endpoint("c", "ml.p3.2xlarge"),
                        {
                            "kind": "existing_endpoint",
                            "name": "d",
                            "endpoint_name": "elsewhere",
                            "codec": "tgi-messages",
                        },
                    ]
                },
            },
        )
    )
    note = main.endpoint_cost_note(config)
    assert note is not None
    # two g5.2xlarge endpoints start with 1 + 2 instances and may grow to 1 + 5; an existing
    # endpoint bills elsewhere
    assert "3 SageMaker endpoints bill per instance-hour" in note
    assert "ml.g5.2xlarge x3 (up to x6 with autoscaling)" in note
    assert "ml.p3.2xlarge x1;" in note
    assert (
        main.endpoint_cost_note(main.load_config(_dump(tmp_path, {"prefix": "none", "region": "us-east-1"})))
        is None
    )


def test_curated_jumpstart_notes_are_printed_as_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from modules.packaging import PackagingError

    def no_package(**_: object) -> None:
        raise PackagingError("stopped before packaging")  # the warnings come first; skip the synth

    monkeypatch.setattr(main, "build_package", no_package)
    endpoint = {
        "kind": "jumpstart",
        "name": "mistral",
        "model_id": "huggingface-llm-mistral-7b-instruct",
        "instance_type": "ml.g6e.2xlarge",
    }
    cfg = _dump(tmp_path, {"prefix": "llm", "region": "us-east-1", "sagemaker": {"endpoints": [endpoint]}})
    assert main.main(["--config", str(cfg), "--outdir", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert (
        "WARNING: sagemaker.endpoints[0] ('mistral'): the curated huggingface-llm-mistral-7b-instruct "
        "reproduces a 2024 JumpStart deployment (TGI 1.1.0, inference-prepack v1.0.0)"
    ) in err
    assert "error: stopped before packaging" in err
