"""The ``application/vnd.amazon.eventstream`` framing AWS uses for streamed responses.

One message is::

    prelude:  total length (u32) | headers length (u32) | CRC32 of those 8 bytes (u32)
    headers:  name length (u8) | name | value type (u8, 7 = string) | value length (u16) | value
    payload
    CRC32 of everything before it (u32)

all big-endian. A modeled event carries ``:message-type`` ``event`` and ``:event-type``; a
modeled error carries ``:message-type`` ``exception`` and ``:exception-type`` (botocore looks the
type up in the operation's event-stream union); an unmodeled one carries ``:message-type``
``error`` with ``:error-code`` and ``:error-message`` headers.
"""

from __future__ import annotations

import json
import struct
from typing import Any
from zlib import crc32

_STRING = 7


def message(headers: dict[str, str], payload: bytes) -> bytes:
    """One framed message; headers are strings, in the order given."""
    encoded = b"".join(_header(name, value) for name, value in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    head = prelude + struct.pack(">I", crc32(prelude))
    data = head + encoded + payload
    return data + struct.pack(">I", crc32(data))


def event(event_type: str, payload: bytes, content_type: str = "application/json") -> bytes:
    return message(
        {":event-type": event_type, ":content-type": content_type, ":message-type": "event"}, payload
    )


def json_event(event_type: str, body: dict[str, Any]) -> bytes:
    return event(event_type, json.dumps(body).encode())


def exception(exception_type: str, body: dict[str, Any]) -> bytes:
    """A modeled error: ``exception_type`` is the member name in the stream's union."""
    return message(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        json.dumps(body).encode(),
    )


def error(code: str, text: str) -> bytes:
    """An unmodeled error, as a service sends one its model does not declare."""
    return message({":error-code": code, ":error-message": text, ":message-type": "error"}, b"")


def _header(name: str, value: str) -> bytes:
    key, raw = name.encode(), value.encode()
    return struct.pack(">B", len(key)) + key + struct.pack(">BH", _STRING, len(raw)) + raw
