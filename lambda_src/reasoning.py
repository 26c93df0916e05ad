"""A model's thinking, and how a client hands it back.

Providers that sign their thinking (Claude on Bedrock) need it back, block by block and
unchanged, when the conversation goes on after a tool call. OpenAI's format has one string for
it, so the API returns two fields on the assistant message (and on the last stream deltas):

- ``reasoning_content``: the thinking text of every block, joined (what people read);
- ``reasoning_signature``: an opaque token, present when a block was signed or redacted. It holds
  each block's signature and length in ``reasoning_content`` and the redacted blocks' data.

A client that sends the assistant message back with both fields unchanged gives the provider its
blocks back; one that drops them (most SDKs keep unknown fields, LangChain does not) sends a plain
assistant turn. A changed ``reasoning_content`` no longer matches its token and is refused (400).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import NamedTuple

PREFIX = "rs1."


class ReasoningBlock(NamedTuple):
    """One thinking block: text with an optional signature, or redacted (encrypted) data."""

    text: str = ""
    signature: str | None = None
    redacted: bytes | None = None


def reasoning_text(blocks: Iterable[ReasoningBlock]) -> str | None:
    text = "".join(b.text for b in blocks)
    return text or None


def signature_of(blocks: Iterable[ReasoningBlock]) -> str | None:
    """The ``reasoning_signature`` for ``blocks``; None when nothing needs to go back."""
    parts: list[dict[str, object]] = []
    for block in blocks:
        if block.redacted is not None:
            parts.append({"r": base64.b64encode(block.redacted).decode("ascii")})
        else:
            part: dict[str, object] = {"n": len(block.text)}
            if block.signature:
                part["s"] = block.signature
            parts.append(part)
    if not any("s" in p or "r" in p for p in parts):
        return None
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


def blocks_of(text: str | None, signature: str | None) -> tuple[ReasoningBlock, ...]:
    """The blocks a client sent back; ValueError when the two fields do not belong together."""
    text = text or ""
    if signature is None:
        return (ReasoningBlock(text),) if text else ()
    try:
        if not signature.startswith(PREFIX):
            raise ValueError
        parts = json.loads(base64.urlsafe_b64decode(signature[len(PREFIX) :].encode("ascii")))
        if not isinstance(parts, list):
            raise ValueError
        blocks: list[ReasoningBlock] = []
        start = 0
        for part in parts:
            if not isinstance(part, dict):
                raise ValueError
            if isinstance(part.get("r"), str):
                blocks.append(ReasoningBlock(redacted=base64.b64decode(part["r"], validate=True)))
                continue
            length, sign = part.get("n"), part.get("s")
            if not isinstance(length, int) or length < 0 or not isinstance(sign, str | None):
                raise ValueError
            blocks.append(ReasoningBlock(text[start : start + length], sign))
            start += length
    except (ValueError, binascii.Error, UnicodeEncodeError, RecursionError):
        raise ValueError("reasoning_signature is not one this API returned; send it back unchanged") from None
    if start != len(text):
        raise ValueError("reasoning_content was changed; send it back unchanged with its reasoning_signature")
    return tuple(blocks)
