"""Questions and answers on text streams: a terminal, or a script of one answer per line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from operator_tools.config_draft import Refused


class InputEnded(Exception):
    """Scripted input ran out before the questions did."""


class Prompter:
    """Questions on ``out``, answers from ``stdin`` (a terminal or a script, one answer per line)."""

    def __init__(self, stdin: TextIO, out: TextIO) -> None:
        self.stdin = stdin
        self.out = out
        # A terminal echoes what is typed; for scripted answers the transcript shows them instead.
        self.echo = not stdin.isatty()

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, prompt: str, *, default: str | None = None, accept: Callable[[str], object]) -> str:
        """Ask until ``accept`` takes the answer (an empty answer means ``default``)."""
        while True:
            self.out.write(f"{prompt}" + (f" [{default}]" if default else "") + ": ")
            self.out.flush()
            line = self.stdin.readline()
            if not line:
                self.say()
                raise InputEnded(f"input ended before the question {prompt.strip()!r} was answered")
            if self.echo:
                self.say(line.rstrip("\n"))
            answer = line.strip() or (default or "")
            try:
                accept(answer)
            except Refused as err:
                self.refuse(err)
                continue
            return answer

    def yes(self, prompt: str, *, default: bool) -> bool:
        def accept(answer: str) -> None:
            if answer.lower() not in ("y", "yes", "n", "no"):
                raise Refused("answer y or n")

        return self.ask(f"{prompt} (y/n)", default="y" if default else "n", accept=accept).lower() in (
            "y",
            "yes",
        )

    def refuse(self, err: Exception) -> None:
        for line in str(err).splitlines():
            self.say(f"  refused: {line}")
