"""How thinking blocks travel through ``reasoning_content`` and ``reasoning_signature``."""

from __future__ import annotations

import pytest

from lambda_src.reasoning import ReasoningBlock, blocks_of, reasoning_text, signature_of

BLOCKS = (
    ReasoningBlock("First, the sky. ", "sig-a"),
    ReasoningBlock(redacted=b"\x00\xffopaque"),
    ReasoningBlock("Then Rayleigh — 散乱.", "sig-b"),
)


def test_blocks_survive_the_round_trip() -> None:
    text, signature = reasoning_text(BLOCKS), signature_of(BLOCKS)

    assert text == "First, the sky. Then Rayleigh — 散乱."
    assert signature is not None and signature.isascii()
    assert blocks_of(text, signature) == BLOCKS


def test_unsigned_thinking_needs_no_signature() -> None:
    assert signature_of((ReasoningBlock("plain"),)) is None
    assert blocks_of("plain", None) == (ReasoningBlock("plain"),)
    assert blocks_of(None, None) == ()


def test_a_changed_text_of_the_same_length_still_splits_for_the_provider_to_refuse() -> None:
    text = "First, the sky. Then Rayleigh — 散乱!"

    blocks = blocks_of(text, signature_of(BLOCKS))

    assert blocks[2] == ReasoningBlock("Then Rayleigh — 散乱!", "sig-b")  # Claude checks the signature


@pytest.mark.parametrize(
    ("text", "signature", "message"),
    [
        ("First, the sky.", signature_of(BLOCKS), "reasoning_content was changed"),
        ("x", "not-ours", "not one this API returned"),
        ("x", "rs1.!!!", "not one this API returned"),
        ("x", "rs1.W3sibiI6ICJ4In1d", "not one this API returned"),  # [{"n": "x"}]
    ],
)
def test_changed_or_foreign_fields_are_refused(text: str, signature: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        blocks_of(text, signature)
