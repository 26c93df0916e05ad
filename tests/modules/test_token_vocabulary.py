"""The shipped cl100k_base vocabulary is tiktoken's, token for token."""

from __future__ import annotations

import hashlib
import inspect
import re
from pathlib import Path

import pytest
import tiktoken_ext.openai_public

from lambda_src.token_arrays import CL100K_SPECIAL_TOKENS, VOCABULARY_FILE, decode, vocabulary
from modules import token_vocabulary


def _pinned_tiktoken_hash() -> str:
    source = inspect.getsource(tiktoken_ext.openai_public.cl100k_base)
    found = re.search(r'expected_hash="([0-9a-f]{64})"', source)
    assert found, "tiktoken no longer pins the cl100k_base file by hash"
    return found.group(1)


def test_the_shipped_file_rebuilds_the_exact_file_tiktoken_checks() -> None:
    ranks = token_vocabulary.decode_file(VOCABULARY_FILE.read_bytes())

    text = token_vocabulary.tiktoken_text(ranks)

    assert hashlib.sha256(text).hexdigest() == _pinned_tiktoken_hash() == token_vocabulary.TIKTOKEN_SHA256
    assert len(ranks) == 100256


def test_special_tokens_decode_to_their_names_and_gaps_are_empty() -> None:
    assert decode([CL100K_SPECIAL_TOKENS["<|endoftext|>"]], "input") == "<|endoftext|>"
    assert vocabulary().token(100256) == b""
    assert vocabulary().token(len(vocabulary())) == b""


def test_a_chunk_cut_inside_a_character_decodes_with_a_replacement_character() -> None:
    ranks = token_vocabulary.decode_file(VOCABULARY_FILE.read_bytes())
    euro = "€".encode()
    first_byte = ranks[euro[:1]]

    assert decode([first_byte], "input") == "\ufffd"


def test_the_builder_refuses_another_vocabulary(tmp_path: Path) -> None:
    ranks = token_vocabulary.decode_file(VOCABULARY_FILE.read_bytes())
    del ranks[b"hello"]
    edited = tmp_path / "edited.tiktoken"
    edited.write_bytes(token_vocabulary.tiktoken_text(ranks))

    with pytest.raises(token_vocabulary.VocabularyError, match="not the cl100k_base vocabulary"):
        token_vocabulary.check(token_vocabulary.parse_ranks(edited.read_text()))


def test_the_builder_reads_a_tiktoken_file_back_to_the_same_compact_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = VOCABULARY_FILE.read_bytes()
    source = tmp_path / "cl100k_base.tiktoken"
    source.write_bytes(token_vocabulary.tiktoken_text(token_vocabulary.decode_file(original)))
    out = tmp_path / "out.tokens"
    monkeypatch.setattr(token_vocabulary, "VOCABULARY_FILE", out)

    assert token_vocabulary.main(["build", str(source)]) == 0
    assert out.read_bytes() == original
