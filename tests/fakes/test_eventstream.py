"""The eventstream encoder, read back by botocore's own decoder."""

from __future__ import annotations

import struct

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from tests.fakes import eventstream


def _decode(data: bytes, step: int | None = None) -> list[tuple[dict[str, str], bytes]]:
    """Messages from ``data``, fed to the decoder ``step`` bytes at a time (all at once if None)."""
    buffer = EventStreamBuffer()
    messages = []
    size = step or len(data)
    for start in range(0, len(data), size):
        buffer.add_data(data[start : start + size])
        messages += [(m.headers, m.payload) for m in buffer]
    return messages


def test_an_event_decodes_to_its_headers_and_payload() -> None:
    data = eventstream.json_event("messageStart", {"role": "assistant"})

    assert _decode(data) == [
        (
            {":event-type": "messageStart", ":content-type": "application/json", ":message-type": "event"},
            b'{"role": "assistant"}',
        )
    ]


def test_the_prelude_counts_the_whole_message_and_its_headers() -> None:
    data = eventstream.event("PayloadPart", b"abc", "application/octet-stream")

    total, headers_length = struct.unpack(">II", data[:8])

    assert total == len(data)
    assert headers_length == len(data) - 12 - len(b"abc") - 4


def test_messages_survive_arbitrary_byte_boundaries() -> None:
    data = b"".join(eventstream.event("PayloadPart", f"part {i}".encode()) for i in range(5))

    assert [payload for _, payload in _decode(data, step=7)] == [f"part {i}".encode() for i in range(5)]


def test_exceptions_and_errors_carry_botocores_headers() -> None:
    exception = eventstream.exception("throttlingException", {"message": "slow down"})
    error = eventstream.error("InternalFailure", "boom")

    [(exception_headers, body)] = _decode(exception)
    [(error_headers, _)] = _decode(error)

    assert exception_headers[":message-type"] == "exception"
    assert exception_headers[":exception-type"] == "throttlingException"
    assert body == b'{"message": "slow down"}'
    assert error_headers == {
        ":error-code": "InternalFailure",
        ":error-message": "boom",
        ":message-type": "error",
    }


@pytest.mark.parametrize("offset", [9, -1], ids=["prelude", "message"])
def test_botocore_checks_both_checksums(offset: int) -> None:
    data = bytearray(eventstream.json_event("messageStop", {"stopReason": "end_turn"}))
    data[offset] ^= 0xFF

    with pytest.raises(ChecksumMismatch):
        _decode(bytes(data))
