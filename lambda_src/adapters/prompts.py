"""Chat prompts for text-completion models: built-in chat formats and custom templates.

A custom ``prompt_template`` may use three placeholders, substituted literally (never evaluated):
``{system}`` (the system messages), ``{history}`` (earlier turns, one ``User: ...`` or
``Assistant: ...`` line each) and ``{prompt}`` (the last user message).

Templates are a sandbox by construction: rendering is one regular-expression substitution of
those three names, so a template can reach no Python object, attribute, file or network, and
any other text (``{{ x.__class__ }}``, ``{0.__globals__}``, ``{% import os %}``) is copied as it
is. The rendered prompt is bounded (:data:`MAX_RENDERED_CHARS`), checked before it is built.
Templates sent in requests are also checked up front (:func:`check_template`): what looks like
the syntax of another template engine is refused, so a mistaken template fails loudly instead
of reaching the model as literal text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from lambda_src.api_types import ChatCompletionRequest, ImagePart, text_of
from lambda_src.exceptions import InvalidRequestError
from lambda_src.inventory import ModelSpec

_PLACEHOLDER = re.compile(r"\{(system|history|prompt)\}")
PLACEHOLDERS = ("system", "history", "prompt")
# A prompt far beyond any model's context window is a mistake (or a template repeating
# {history} to blow up memory); refused before it is built.
MAX_RENDERED_CHARS = 1_000_000
# Other engines' syntax: Jinja/Mustache blocks, and str.format fields ({name}, {0.attr}, {x[0]}).
_FOREIGN = re.compile(r"\{\{|\{%|\{#|\$\{|\{\s*[A-Za-z0-9_]+(?:[.\[!:][^{}\s\"']*)?\s*\}")


class TemplateError(ValueError):
    """A template that uses syntax this renderer does not have."""


def check_template(template: str) -> None:
    """Refuse anything that looks like template code other than the three placeholders."""
    for m in _FOREIGN.finditer(template):
        token = m.group(0)
        if _PLACEHOLDER.fullmatch(token):
            continue
        shown = token if len(token) <= 40 and token.isprintable() else token[:37] + "..."
        raise TemplateError(
            f"unsupported template syntax {shown!r} at position {m.start()}: the only placeholders are "
            + ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            + "; nothing is evaluated"
        )


class Turn(NamedTuple):
    role: str  # "user" or "assistant"
    text: str


class Conversation(NamedTuple):
    system: str
    turns: tuple[Turn, ...]


def _has_image(content: object) -> bool:
    return isinstance(content, tuple) and any(isinstance(part, ImagePart) for part in content)


def conversation(request: ChatCompletionRequest, spec: ModelSpec) -> Conversation:
    """System text and user/assistant turns; refuses what a text prompt cannot carry."""
    system: list[str] = []
    turns: list[Turn] = []
    for i, message in enumerate(request.messages):
        if message.role in ("system", "developer"):
            system.append(text_of(message.content))
        elif message.role == "tool" or (message.role == "assistant" and message.tool_calls):
            raise InvalidRequestError(
                f"model {spec.id!r} does not support tool messages", param=f"messages.{i}"
            )
        else:
            if message.role == "user" and _has_image(message.content):
                raise InvalidRequestError(
                    f"model {spec.id!r} does not accept images", param=f"messages.{i}.content"
                )
            turns.append(Turn(message.role, text_of(message.content)))
    if not turns or turns[-1].role != "user":
        raise InvalidRequestError(
            f"model {spec.id!r} completes text prompts: the last message must come from the user",
            param="messages",
        )
    return Conversation("\n\n".join(s for s in system if s), tuple(turns))


def _pairs(turns: Sequence[Turn]) -> list[tuple[str, str | None]]:
    """(user, assistant) pairs; consecutive messages of one role are joined."""
    pairs: list[tuple[str, str | None]] = []
    for turn in turns:
        if turn.role == "user":
            if pairs and pairs[-1][1] is None:
                pairs[-1] = (pairs[-1][0] + "\n\n" + turn.text, None)
            else:
                pairs.append((turn.text, None))
        elif pairs:
            user, answer = pairs[-1]
            pairs[-1] = (user, turn.text if answer is None else answer + "\n\n" + turn.text)
        else:
            pairs.append(("", turn.text))
    return pairs


def llama2_chat(c: Conversation) -> str:
    out = []
    for i, (user, answer) in enumerate(_pairs(c.turns)):
        if i == 0 and c.system:
            user = f"<<SYS>>\n{c.system}\n<</SYS>>\n\n{user}"
        out.append(f"<s>[INST] {user.strip()} [/INST]")
        if answer is not None:
            out.append(f" {answer.strip()} </s>")
    return "".join(out)


def llama3_chat(c: Conversation) -> str:
    def block(role: str, text: str) -> str:
        return f"<|start_header_id|>{role}<|end_header_id|>\n\n{text.strip()}<|eot_id|>"

    out = ["<|begin_of_text|>"]
    if c.system:
        out.append(block("system", c.system))
    out += [block(t.role, t.text) for t in c.turns]
    out.append("<|start_header_id|>assistant<|end_header_id|>\n\n")
    return "".join(out)


def mistral_instruct(c: Conversation) -> str:
    out = ["<s>"]
    for i, (user, answer) in enumerate(_pairs(c.turns)):
        if i == 0 and c.system:
            user = f"{c.system}\n\n{user}"
        out.append(f"[INST] {user.strip()} [/INST]")
        if answer is not None:
            out.append(f" {answer.strip()}</s>")
    return "".join(out)


def falcon(c: Conversation) -> str:
    out = [c.system + "\n"] if c.system else []
    for turn in c.turns:
        out.append(f"{'User' if turn.role == 'user' else 'Falcon'}: {turn.text.strip()}\n")
    out.append("Falcon:")
    return "".join(out)


def chatml(c: Conversation) -> str:
    def block(role: str, text: str) -> str:
        return f"<|im_start|>{role}\n{text.strip()}<|im_end|>\n"

    out = [block("system", c.system)] if c.system else []
    out += [block(t.role, t.text) for t in c.turns]
    out.append("<|im_start|>assistant\n")
    return "".join(out)


def plain(c: Conversation) -> str:
    """A neutral transcript, for containers that take a bare prompt."""
    out = [c.system + "\n\n"] if c.system else []
    out += [f"{'User' if t.role == 'user' else 'Assistant'}: {t.text.strip()}\n" for t in c.turns]
    out.append("Assistant:")
    return "".join(out)


def titan(c: Conversation) -> str:
    out = [c.system + "\n\n"] if c.system else []
    out += [f"{'User' if t.role == 'user' else 'Bot'}: {t.text.strip()}\n" for t in c.turns]
    out.append("Bot:")
    return "".join(out)


class PromptFormat(NamedTuple):
    render: Callable[[Conversation], str]
    # Added to the request's stop sequences: where the model would start the next turn.
    stop: tuple[str, ...] = ()


FORMATS: dict[str, PromptFormat] = {
    "llama2-chat": PromptFormat(llama2_chat),
    "llama3-chat": PromptFormat(llama3_chat, ("<|eot_id|>",)),
    "mistral-instruct": PromptFormat(mistral_instruct),
    "falcon": PromptFormat(falcon, ("\nUser:",)),
    "chatml": PromptFormat(chatml, ("<|im_end|>",)),
    "plain": PromptFormat(plain, ("\nUser:",)),
    "titan": PromptFormat(titan, ("\nUser:",)),
}


def render_template(template: str, c: Conversation, max_chars: int = MAX_RENDERED_CHARS) -> str:
    history = "".join(f"{'User' if t.role == 'user' else 'Assistant'}: {t.text}\n" for t in c.turns[:-1])
    values = {"system": c.system, "history": history, "prompt": c.turns[-1].text}
    # The size is known before anything is built: a template cannot make the function run out of memory.
    found = _PLACEHOLDER.findall(template)
    size = len(template) - sum(len(name) + 2 for name in found) + sum(len(values[name]) for name in found)
    if size > max_chars:
        raise InvalidRequestError(
            f"the prompt template renders {size} characters for this conversation, above the limit of "
            f"{max_chars}",
            param="messages",
        )
    # One pass: a placeholder inside a substituted value stays as it is.
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def build_prompt(
    spec: ModelSpec, request: ChatCompletionRequest, default: str
) -> tuple[str, tuple[str, ...]]:
    """The prompt for ``request`` and the stop sequences its format adds.

    ``spec.prompt_template`` wins over ``spec.prompt_format``, which wins over ``default``.
    """
    c = conversation(request, spec)
    if spec.prompt_template:
        return render_template(spec.prompt_template, c), ()
    fmt = FORMATS[spec.prompt_format or default]
    return fmt.render(c), fmt.stop
