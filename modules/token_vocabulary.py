"""The cl100k_base vocabulary the function uses to read token-array embedding inputs.

The function only *decodes* (token id -> bytes), which needs the vocabulary and nothing else: no
tiktoken, no regex engine, no download at run time. This module writes that vocabulary as one
compact file (``lambda_src/data/cl100k_base.tokens``) from a published copy, and proves it
is the real one by rebuilding tiktoken's own ``cl100k_base.tiktoken`` text from it and comparing
the SHA-256 with the hash the pinned tiktoken release expects.

    python -m modules.token_vocabulary build RANKS   # RANKS: js-tiktoken's ranks/cl100k_base.js
                                                     # (npm, MIT) or a cl100k_base.tiktoken file

File format (read by :func:`lambda_src.token_arrays.read_vocabulary`): zlib-compressed, a 4-byte
big-endian count N of token ids, N length bytes (one per id; 0: no token has this id), then the
tokens' bytes in id order.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
import zlib
from pathlib import Path

from lambda_src.token_arrays import CL100K_SPECIAL_TOKENS, VOCABULARY_FILE, read_vocabulary

# What tiktoken (tiktoken_ext/openai_public.py) downloads and checks for cl100k_base.
TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
TIKTOKEN_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


class VocabularyError(Exception):
    """A ranks file that is not the cl100k_base vocabulary."""


def parse_ranks(text: str) -> dict[bytes, int]:
    """Token bytes -> rank, from a ``.tiktoken`` file or js-tiktoken's compressed ranks module."""
    if text.lstrip().startswith("export default"):
        document = json.loads(text.split("export default", 1)[1].strip().rstrip(";"))
        ranks: dict[bytes, int] = {}
        # js-tiktoken: each line is "<unused> <first rank> <base64 token> <base64 token> ...".
        for line in filter(None, document["bpe_ranks"].split("\n")):
            _, offset, *tokens = line.split(" ")
            for i, token in enumerate(tokens):
                ranks[base64.b64decode(token)] = int(offset) + i
        return ranks
    return {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in text.splitlines() if line)
    }


def tiktoken_text(ranks: dict[bytes, int]) -> bytes:
    """The ``.tiktoken`` file tiktoken downloads: one ``<base64 token> <rank>`` line per token."""
    lines = sorted(ranks.items(), key=lambda kv: kv[1])
    return b"".join(base64.b64encode(token) + b" " + str(rank).encode() + b"\n" for token, rank in lines)


def check(ranks: dict[bytes, int]) -> None:
    digest = hashlib.sha256(tiktoken_text(ranks)).hexdigest()
    if digest != TIKTOKEN_SHA256:
        raise VocabularyError(f"not the cl100k_base vocabulary tiktoken expects (SHA-256 {digest})")


def encode_file(ranks: dict[bytes, int]) -> bytes:
    table: dict[int, bytes] = {rank: token for token, rank in ranks.items()}
    table.update({rank: name.encode() for name, rank in CL100K_SPECIAL_TOKENS.items()})
    tokens = [table.get(rank, b"") for rank in range(max(table) + 1)]
    too_long = [rank for rank, token in enumerate(tokens) if len(token) > 255]
    if too_long:
        raise VocabularyError(f"token {too_long[0]} is longer than the format's 255 bytes")
    count = len(tokens).to_bytes(4, "big")
    return zlib.compress(count + bytes(len(t) for t in tokens) + b"".join(tokens), 9)


def decode_file(data: bytes) -> dict[bytes, int]:
    """The ordinary (non-special) ranks back from the compact file, as the function reads it."""
    vocabulary = read_vocabulary(data)
    special = set(CL100K_SPECIAL_TOKENS.values())
    return {
        vocabulary.token(rank): rank
        for rank in range(len(vocabulary))
        if rank not in special and vocabulary.token(rank)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modules.token_vocabulary")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help=f"write {VOCABULARY_FILE.name} from a ranks file")
    build.add_argument("ranks", type=Path)
    args = parser.parse_args(argv)
    text = args.ranks.read_text(encoding="utf-8")
    if not re.search(r"\S", text):
        print(f"{args.ranks}: empty", file=sys.stderr)
        return 1
    try:
        ranks = parse_ranks(text)
        check(ranks)
    except (VocabularyError, ValueError, KeyError) as err:
        print(f"{args.ranks}: {err}", file=sys.stderr)
        return 1
    data = encode_file(ranks)
    if decode_file(data) != ranks:
        print("the compact file does not read back to the same vocabulary", file=sys.stderr)
        return 1
    VOCABULARY_FILE.write_bytes(data)
    print(f"wrote {VOCABULARY_FILE} ({len(data)} bytes, {len(ranks)} tokens)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
