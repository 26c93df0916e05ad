"""StreamControl: pacing, the gate, injected failures and client disconnects, seen on the wire.

The fake here streams plain server-sent events so the tests can read the socket byte by byte."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.http_json import JsonApiFake, Received
from tests.fakes.streaming import CUT, Frame, Streamed, fragments, pieces, sse

FAILED = sse("failed", event="error")


class Ticker(JsonApiFake):
    """Streams ``start``, ``tick 1`` .. ``tick 4`` (the content) and ``end``."""

    def authorized(self, request: Received) -> bool:
        return True

    def default_answer(self, request: Received) -> Streamed:
        ticks = [Frame(sse(f"tick {i}"), content=True) for i in range(1, 5)]
        return Streamed([Frame(sse("start")), *ticks, Frame(sse("end"))], "text/event-stream", FAILED)


@pytest.fixture
def fake() -> Iterator[Ticker]:
    with Ticker("") as fake:
        yield fake


def _data(fake: Ticker) -> list[str]:
    with httpx.stream("POST", fake.url, timeout=10) as response:
        return [line for line in response.iter_lines() if line]


class RawClient:
    """An HTTP/1.1 client on a bare socket, to see exactly what the fake has sent so far."""

    def __init__(self, fake: Ticker) -> None:
        port = int(fake.url.rsplit(":", 1)[1])
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(b"POST / HTTP/1.1\r\nHost: fake\r\nContent-Length: 0\r\n\r\n")
        self.received = b""

    def read_until(self, marker: bytes) -> None:
        while marker not in self.received:
            data = self.sock.recv(65536)
            assert data, f"connection closed before {marker!r}: {self.received!r}"
            self.received += data

    def nothing_more(self) -> bool:
        self.sock.setblocking(False)
        try:
            return not self.sock.recv(65536)  # b"" would mean closed: not "nothing more" either
        except BlockingIOError:
            return True
        finally:
            self.sock.setblocking(True)

    def close(self) -> None:
        self.sock.close()


def test_frames_go_out_in_order_as_chunks(fake: Ticker) -> None:
    with httpx.stream("POST", fake.url, timeout=10) as response:
        assert response.headers["transfer-encoding"] == "chunked"
        assert response.headers["content-type"] == "text/event-stream"
        lines = [line for line in response.iter_lines() if line]

    assert lines == [
        "data: start",
        "data: tick 1",
        "data: tick 2",
        "data: tick 3",
        "data: tick 4",
        "data: end",
    ]
    assert fake.stream.outcome() == "complete"


def test_the_gate_withholds_the_rest_until_released(fake: Ticker) -> None:
    fake.stream.hold_after = 1
    client = RawClient(fake)
    try:
        client.read_until(b"data: tick 1\n\n\r\n")
        assert fake.stream.holding.wait(5)

        assert client.nothing_more()
        assert b"tick 2" not in client.received
        assert fake.stream.outcomes == []

        fake.stream.release()
        client.read_until(b"0\r\n\r\n")
    finally:
        client.close()

    assert b"data: tick 4\n\n" in client.received and b"data: end\n\n" in client.received
    assert fake.stream.outcome() == "complete"
    assert not fake.stream.timed_out.is_set()


def test_a_hold_never_released_ends_with_the_failure(fake: Ticker) -> None:
    # What a client that waits for the whole answer before showing anything gets.
    fake.stream.hold_after = 2
    fake.stream.hold_timeout = 0.05

    body = httpx.post(fake.url, timeout=10).text

    assert body == "data: start\n\ndata: tick 1\n\ndata: tick 2\n\nevent: error\ndata: failed\n\n"
    assert fake.stream.timed_out.is_set()
    assert fake.stream.outcome() == "timed_out"


@pytest.mark.parametrize(
    ("fail_after", "expected"),
    [
        (0, ["event: error", "data: failed"]),
        (2, ["data: start", "data: tick 1", "data: tick 2", "event: error", "data: failed"]),
        (4, ["data: start", *[f"data: tick {i}" for i in range(1, 5)], "event: error", "data: failed"]),
    ],
)
def test_a_failure_replaces_the_rest_after_n_content_frames(
    fake: Ticker, fail_after: int, expected: list[str]
) -> None:
    fake.stream.fail_after = fail_after

    assert _data(fake) == expected
    assert fake.stream.outcome() == "failed"


def test_a_chosen_failure_frame_is_sent(fake: Ticker) -> None:
    fake.stream.fail_after = 1
    fake.stream.failure = sse("overloaded", event="error")

    assert _data(fake)[-2:] == ["event: error", "data: overloaded"]


def test_a_cut_drops_the_connection_mid_body(fake: Ticker) -> None:
    fake.stream.fail_after = 1
    fake.stream.failure = CUT
    seen: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("POST", fake.url, timeout=10) as response:
        seen.extend(line for line in response.iter_lines() if line)

    assert seen == ["data: start", "data: tick 1"]
    assert fake.stream.outcome() == "failed"


def test_a_client_leaving_while_held_is_seen(fake: Ticker) -> None:
    fake.stream.hold_after = 1
    client = RawClient(fake)
    client.read_until(b"tick 1")
    assert fake.stream.holding.wait(5)

    client.close()

    assert fake.stream.client_closed.wait(5)
    assert fake.stream.outcome() == "client_closed"
    assert not fake.stream.timed_out.is_set()


def test_a_client_leaving_during_a_delay_is_seen(fake: Ticker) -> None:
    # The fake would sleep 60 s before its next frame: only noticing the close ends it sooner.
    fake.stream.delay = 60
    client = RawClient(fake)
    client.read_until(b"data: start")

    client.close()

    assert fake.stream.client_closed.wait(5)
    assert fake.stream.outcome() == "client_closed"


def test_a_delay_paces_but_changes_nothing_else(fake: Ticker) -> None:
    fake.stream.delay = 0.001

    assert _data(fake)[-1] == "data: end"
    assert fake.stream.outcome() == "complete"


def test_the_pace_is_a_schedule_so_time_lost_between_frames_does_not_add_up(
    fake: Ticker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each wait is what is left until the frame's slot: time the fake loses elsewhere (here each
    clock reading finds 0.01 s gone, as on a busy machine) is taken off the next wait."""
    import time
    from types import SimpleNamespace

    import tests.fakes.streaming as streaming

    now = [1000.0]

    def monotonic() -> float:
        now[0] += 0.01
        return now[0]

    waits: list[float] = []

    def wait(sock: socket.socket, gate: object, seconds: float) -> bool:
        waits.append(round(seconds, 6))
        now[0] += max(seconds, 0.0)
        return True

    # The fake's own clock only: the client and the server thread keep the real one.
    monkeypatch.setattr(streaming, "time", SimpleNamespace(monotonic=monotonic, sleep=time.sleep))
    monkeypatch.setattr(fake.stream, "_wait", wait)
    fake.stream.delay = 0.1

    assert _data(fake)[-1] == "data: end"
    # Five waits after the first frame: each the slot (0.1) minus the 0.01 read before the wait.
    assert waits == [0.09] * 5


def test_reset_releases_held_streams_and_starts_afresh(fake: Ticker) -> None:
    fake.stream.hold_after = 1
    old = fake.stream
    client = RawClient(fake)
    try:
        client.read_until(b"tick 1")
        assert old.holding.wait(5)

        fake.reset()
        client.read_until(b"0\r\n\r\n")
    finally:
        client.close()

    assert old.outcome() == "complete"
    assert fake.stream is not old
    assert (fake.stream.hold_after, fake.stream.outcomes) == (None, [])


def test_text_pieces_and_fragments_lose_nothing() -> None:
    assert pieces("echo: hello  world ") == ["echo:", " hello", "  world", " "]
    assert pieces("") == []
    assert "".join(fragments('{"city": "Paris"}')) == '{"city": "Paris"}'
    assert fragments("") == [""]
