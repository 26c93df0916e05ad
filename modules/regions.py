"""AWS regions and partitions, from the endpoint data of the pinned botocore."""

from __future__ import annotations

from functools import cache

import botocore.loaders

# Partitions this project deploys to; the isolated (ISO) and sovereign partitions lack Bedrock.
SUPPORTED_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")


@cache
def regions_by_partition() -> dict[str, tuple[str, ...]]:
    data = botocore.loaders.create_loader().load_data("endpoints")
    return {
        p["partition"]: tuple(sorted(p["regions"]))
        for p in data["partitions"]
        if p["partition"] in SUPPORTED_PARTITIONS
    }


@cache
def all_regions() -> frozenset[str]:
    return frozenset(r for regions in regions_by_partition().values() for r in regions)


def partition_of(region: str) -> str:
    for partition, regions in regions_by_partition().items():
        if region in regions:
            return partition
    raise ValueError(f"unknown AWS region {region!r}")


def check_region(region: str) -> str:
    """Return ``region`` if it exists, else raise ValueError naming the known ones."""
    if region not in all_regions():
        raise ValueError(
            f"region {region!r} does not exist; known regions: " + ", ".join(sorted(all_regions()))
        )
    return region
