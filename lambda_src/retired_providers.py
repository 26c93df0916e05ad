"""Third-party providers that no longer exist, and what to use instead.

A deployment config naming one fails at synth with the message; an inventory or a request that
still names one gets the same message at run time, instead of a call to a dead API.
"""

from __future__ import annotations

# AI21 sunset its Jamba API (and Maestro) on 2026-08-09 (docs.ai21.com, August deprecation
# notice; checked 2026-11-29). Jamba's weights are open (ai21labs on Hugging Face).
RETIRED: dict[str, str] = {
    "ai21": (
        "AI21 shut down its Jamba API on 2026-08-09, so the 'ai21' provider can no longer be called; "
        "run Jamba yourself (open weights, e.g. on vLLM) and reach it through third_party.openai_compatible, "
        "or host it on a SageMaker endpoint (sagemaker.endpoints)"
    ),
}
