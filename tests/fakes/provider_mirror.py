"""What the local provider mirror lacks, filled in one place.

These machines carry one ``hashicorp/aws`` provider binary (5.100.0 under ``/opt/tf-plugins``);
no newer one can be installed here. Configurations that grant callers on the function need
``aws_lambda_permission.invoked_via_function_url``, which the provider added in 6.28.0, and so
declare ``>= 6.28.0``. To still run ``terraform validate`` on everything else in them, a copy is
made for the mirror's provider with exactly these differences, and nothing else:

- the provider version constraint is relaxed to the range the mirror's binary satisfies (in the
  JSON and in HCL files that call the modules);
- ``invoked_via_function_url`` is removed from ``aws_lambda_permission`` blocks.

Where the mirror has a provider of 6.28.0 or later, nothing is changed. The attribute itself is
asserted on the synthesized JSON by the tests of the stack and of the exported module.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from modules.lambda_contract import AWS_PROVIDER_VERSION, AWS_PROVIDER_VERSION_URL_GRANTS

NEWER_ATTRIBUTES = {"aws_lambda_permission": ("invoked_via_function_url",)}
_FIRST_WITH_NEWER = (6, 28, 0)


def mirror_versions(mirror: Path) -> list[tuple[int, ...]]:
    folder = mirror / "registry.terraform.io" / "hashicorp" / "aws"
    found = []
    for entry in folder.iterdir() if folder.is_dir() else ():
        if re.fullmatch(r"\d+\.\d+\.\d+", entry.name):
            found.append(tuple(int(p) for p in entry.name.split(".")))
    return sorted(found)


def _strip(doc: dict[str, Any]) -> int:
    """Remove the newer attributes in place (also in a module's ``resource`` section); returns how many."""
    removed = 0
    for rtype, attrs in NEWER_ATTRIBUTES.items():
        for block in doc.get("resource", {}).get(rtype, {}).values():
            for attr in attrs:
                if attr in block:
                    del block[attr]
                    removed += 1
    providers = doc.get("terraform", {}).get("required_providers", {})
    if providers.get("aws", {}).get("version") == AWS_PROVIDER_VERSION_URL_GRANTS:
        providers["aws"]["version"] = AWS_PROVIDER_VERSION
    return removed


def adapt_for_mirror(folder: Path, mirror: Path) -> int:
    """Rewrite the ``*.tf.json`` under ``folder`` (a copy) for the mirror's provider; returns how
    many attributes were removed (0 when the mirror is new enough)."""
    if any(v >= _FIRST_WITH_NEWER for v in mirror_versions(mirror)):
        return 0
    removed = 0
    for path in folder.rglob("*.tf.json"):
        doc = json.loads(path.read_text())
        removed += _strip(doc)
        path.write_text(json.dumps(doc, indent=2))
    for path in folder.rglob("*.tf"):  # HCL callers of the modules declare the same range
        text = path.read_text()
        path.write_text(text.replace(f'"{AWS_PROVIDER_VERSION_URL_GRANTS}"', f'"{AWS_PROVIDER_VERSION}"'))
    return removed
