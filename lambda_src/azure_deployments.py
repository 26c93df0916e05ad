"""Azure OpenAI deployments, described in the API-keys secret.

``AZURE_OPENAI_MODELS`` lists model names (comma-separated); each name ``<Model>`` needs four
keys: ``AZURE_OPENAI_API_TYPE__<Model>`` (``azure``), ``AZURE_OPENAI_API_BASE__<Model>`` (the
resource's endpoint URL), ``AZURE_OPENAI_API_KEY__<Model>`` and
``AZURE_OPENAI_API_DEPLOYMENT_NAME__<Model>``, and may have ``AZURE_OPENAI_API_VERSION__<Model>``:
a dated version calls ``/openai/deployments/...?api-version=...``; ``v1`` or no version calls
Azure's v1 API (``/openai/v1``, which takes no api-version). Each complete name becomes a model whose
public id is the name itself. A name that is described only in part is reported with the keys
it lacks (names only, never values). Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lambda_src.api_keys import ApiKeys

MODELS_KEY = "AZURE_OPENAI_MODELS"
FIELDS = ("API_TYPE", "API_VERSION", "API_BASE", "API_KEY", "API_DEPLOYMENT_NAME")
OPTIONAL = frozenset({"API_VERSION"})
V1 = "v1"
# Public model ids follow the inventory's pattern (lambda_src.inventory.PublicModelId).
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$")
_URL = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


def key_name(fld: str, model: str) -> str:
    return f"AZURE_OPENAI_{fld}__{model}"


@dataclass(frozen=True)
class AzureDeployment:
    name: str  # the public model id
    api_version: str | None  # None: Azure's v1 API
    endpoint: str
    deployment: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class AzureProblem:
    name: str
    message: str  # names keys, never values


@dataclass(frozen=True)
class AzureDeployments:
    deployments: tuple[AzureDeployment, ...] = ()
    problems: tuple[AzureProblem, ...] = ()

    def get(self, name: str) -> AzureDeployment | AzureProblem | None:
        items: tuple[AzureDeployment | AzureProblem, ...] = (*self.deployments, *self.problems)
        return next((item for item in items if item.name == name), None)


def listed_names(keys: ApiKeys) -> tuple[str, ...]:
    """The names in ``AZURE_OPENAI_MODELS``, in order, without blanks or repeats."""
    raw = keys.get(MODELS_KEY) or ""
    return tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))


def parse_deployments(keys: ApiKeys) -> AzureDeployments:
    deployments: list[AzureDeployment] = []
    problems: list[AzureProblem] = []
    for name in listed_names(keys):
        item = _deployment(name, keys)
        if isinstance(item, AzureDeployment):
            deployments.append(item)
        else:
            problems.append(item)
    return AzureDeployments(tuple(deployments), tuple(problems))


def _deployment(name: str, keys: ApiKeys) -> AzureDeployment | AzureProblem:
    if not _NAME.match(name):
        return AzureProblem(
            "<invalid>",
            f"{MODELS_KEY} lists a name that cannot be a model id (letters, digits and ._:/@+- only, "
            "at most 128 characters)",
        )
    values = {fld: keys.get(key_name(fld, name)) for fld in FIELDS}
    missing = [key_name(fld, name) for fld, value in values.items() if value is None and fld not in OPTIONAL]
    if missing:
        return AzureProblem(
            name, f"Azure OpenAI model {name!r} is listed in {MODELS_KEY} but lacks {', '.join(missing)}"
        )
    api_type, endpoint = values["API_TYPE"], values["API_BASE"]
    if (api_type or "").lower() != "azure":
        return AzureProblem(
            name,
            f"Azure OpenAI model {name!r}: {key_name('API_TYPE', name)} must be 'azure' "
            "(API-key authentication; Azure AD tokens are not supported)",
        )
    if not _URL.match(endpoint or ""):
        return AzureProblem(
            name,
            f"Azure OpenAI model {name!r}: {key_name('API_BASE', name)} must be the resource's endpoint "
            "URL (https://<resource>.openai.azure.com/)",
        )
    return AzureDeployment(
        name=name,
        api_version=None if values["API_VERSION"] in (None, V1) else values["API_VERSION"],
        endpoint=endpoint or "",
        deployment=values["API_DEPLOYMENT_NAME"] or "",
        api_key=values["API_KEY"] or "",
    )
