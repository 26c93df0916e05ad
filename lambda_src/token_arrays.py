"""Token-array embedding inputs: token ids back to the text they were made from.

OpenAI's embeddings API takes an input as text or as token ids, and LangChain's
``OpenAIEmbeddings`` sends token ids by default: it splits each text with tiktoken's
``cl100k_base`` encoding (the encoding of OpenAI's embedding models, and tiktoken's fallback for
model names it does not know, such as this API's ids) and sends the pieces. Bedrock's embedding
models take text, so the ids are decoded with the same vocabulary. Decoding is a table lookup:
the vocabulary ships in the package (``data/cl100k_base.tokens``, written and checked by
``modules/token_vocabulary.py``) and is loaded on the first token-array request only.
"""

from __future__ import annotations

import functools
import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lambda_src.api_types import EmbeddingRequest
from lambda_src.exceptions import InvalidRequestError

ENCODING = "cl100k_base"
VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "cl100k_base.tokens"
# tiktoken's special tokens of cl100k_base; they decode to their names, as tiktoken does.
CL100K_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


@dataclass(frozen=True)
class Vocabulary:
    """Token id -> bytes; None for an id that no token has."""

    tokens: tuple[bytes | None, ...]

    def __len__(self) -> int:
        return len(self.tokens)

    def token(self, token_id: int) -> bytes:
        """The token's bytes; empty for an id that no token has."""
        if not 0 <= token_id < len(self.tokens):
            return b""
        return self.tokens[token_id] or b""

    def join(self, ids: Sequence[int]) -> bytes | None:
        """The bytes of ``ids`` (at C speed), or None if one of them is no token."""
        try:
            return b"".join(map(self.tokens.__getitem__, ids))  # type: ignore[arg-type]
        except (IndexError, TypeError):  # past the end, or a gap (None)
            return None


def read_vocabulary(data: bytes) -> Vocabulary:
    """The compact file: zlib of a 4-byte count N, N length bytes, then the tokens' bytes."""
    raw = zlib.decompress(data)
    count = int.from_bytes(raw[:4], "big")
    blob = raw[4 + count :]
    offsets = list(itertools.accumulate(raw[4 : 4 + count], initial=0))
    return Vocabulary(tuple(blob[start:end] or None for start, end in itertools.pairwise(offsets)))


@functools.cache
def vocabulary() -> Vocabulary:
    return read_vocabulary(VOCABULARY_FILE.read_bytes())


def decode(ids: Sequence[int], where: str) -> str:
    """The text of ``ids``; an id that is no cl100k_base token is a 400 naming its place."""
    table = vocabulary()
    joined = table.join(ids)
    if joined is None:
        i, token_id = next((i, t) for i, t in enumerate(ids) if not table.token(t))
        raise InvalidRequestError(
            f"{where}[{i}] is {token_id}, which is not a token of the {ENCODING} encoding "
            f"(token arrays are read as {ENCODING}, the encoding of OpenAI's embedding models); "
            "send the text instead",
            param=where,
        )
    # A chunk cut inside a multi-byte character decodes as tiktoken does it: with U+FFFD.
    return joined.decode("utf-8", errors="replace")


def with_texts(request: EmbeddingRequest) -> EmbeddingRequest:
    """``request`` with token-array inputs decoded to text (others unchanged)."""
    arrays = request.token_arrays
    if arrays is None:
        return request
    single = isinstance(request.input[0], int)
    texts = tuple(decode(ids, "input" if single else f"input[{n}]") for n, ids in enumerate(arrays))
    return request.model_copy(update={"input": texts})
