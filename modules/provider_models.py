"""Third-party model names the providers have retired or deprecated, and what replaces them.

A config naming one still synthesizes (a provider may keep a deprecated name working for existing
accounts), but the synth and the configure wizard print a note, as they do for Bedrock models past
ACTIVE (:mod:`modules.bedrock_catalog`). Checked 2026-11-29 against each provider's own
documentation (Cohere's deprecations page and 2025-09-15 changelog, Anthropic's model
deprecations, Mistral's model cards); names and dates move, so extend the table when they do.
"""

from __future__ import annotations

# provider -> {model name: (what happened, the name to use instead)}
RETIRED_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "cohere": {
        "command-r": ("deprecated on 2025-09-15", "command-a-03-2025"),
        "command-r-plus": ("deprecated on 2025-09-15", "command-a-03-2025"),
        "command-r-03-2024": ("deprecated on 2025-09-15", "command-a-03-2025"),
        "command-r-plus-04-2024": ("deprecated on 2025-09-15", "command-a-03-2025"),
        "command": ("deprecated on 2025-09-15", "command-a-03-2025"),
        "command-light": ("deprecated on 2025-09-15", "command-a-03-2025"),
    },
    "anthropic": {
        "claude-sonnet-4-20250514": ("retired on 2026-06-15", "claude-sonnet-4-6"),
        "claude-opus-4-20250514": ("retired on 2026-06-15", "claude-opus-4-8"),
        "claude-opus-4-1": ("retired on 2026-08-05", "claude-opus-4-8"),
        "claude-opus-4-1-20250805": ("retired on 2026-08-05", "claude-opus-4-8"),
        "claude-opus-4-5": ("deprecated, retiring 2027-01-22", "claude-opus-4-8"),
        "claude-opus-4-5-20251101": ("deprecated, retiring 2027-01-22", "claude-opus-4-8"),
    },
    "mistral": {
        "mistral-large-2411": ("retired on 2026-05-31", "mistral-large-2512"),
        "mistral-medium-2312": ("retired on 2025-06-16", "mistral-large-2512"),
        "devstral-medium-2507": ("retired on 2026-05-31", "mistral-large-2512"),
    },
}


def retired_note(provider: str, model: str) -> str | None:
    """A sentence for a model name the provider retired or deprecated, else None."""
    found = RETIRED_NAMES.get(provider, {}).get(model)
    if found is None:
        return None
    what, instead = found
    return f"{provider} model {model!r} was {what} (checked 2026-11-29): use {instead!r}"
