"""AWS clients, created once per container and reused by every request.

They are made from botocore sessions, not boto3's: boto3's import brings s3transfer and
multiprocessing along, about 25 ms of every cold start, for nothing a client here needs (a boto3
client is this same botocore client).

The sessions read botocore's data files through :class:`DataLoader`, which saves about 45 ms of
the first client's creation (see there).

A model with a ``role_arn`` is called with credentials from STS AssumeRole. They are botocore
refreshable credentials: one client per (service, region, role) serves until its credentials
come within botocore's refresh window (15 minutes) of expiry, and then AssumeRole runs again.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader, create_loader

from lambda_src import request_context
from lambda_src.lru import Lru

ROLE_SESSION_NAME = "llm-inference-api"
# Role chaining (the function's role assuming another) caps sessions at one hour.
ROLE_SESSION_SECONDS = 3600
CONNECT_TIMEOUT_SECONDS = 10.0
# Clients and role sessions kept per container: far above what an inventory needs, low enough
# that specs naming ever new regions or external ids cannot exhaust memory.
MAX_CLIENTS = 64
MAX_ROLE_SESSIONS = 32

Clock = Callable[[], datetime]
TRACE_HEADER = "X-Amzn-Trace-Id"


def propagate_trace(request: Any, **_: Any) -> None:
    """botocore ``before-sign`` handler: the invocation's trace header on every AWS call, so
    upstream segments join the Lambda invocation's trace (SigV4 does not sign this header)."""
    context = request_context.current()
    if context is not None and context.trace_header:
        request.headers[TRACE_HEADER] = context.trace_header


def client_config(read_timeout: float) -> Config:
    # Standard retry mode: bounded attempts (AWS_MAX_ATTEMPTS, default 3) with backoff, for
    # throttling and transient errors; what is left afterwards becomes a 429/5xx for the caller.
    return Config(
        retries={"mode": "standard"},
        read_timeout=read_timeout,
        connect_timeout=min(CONNECT_TIMEOUT_SECONDS, read_timeout),
        user_agent_extra="llm-inference-api",
    )


class _JsonFiles(JSONFileLoader):  # type: ignore[misc]  # botocore is untyped
    """botocore's data files parsed into plain dicts. botocore asks for ``OrderedDict``s, which
    triple the parse time (the endpoints file alone, 1.2 MB, takes 17-20 ms instead of 7), and
    since Python 3.7 a dict keeps its keys' order too."""

    def load_file(self, file_path: str) -> Any:
        for extension, opener in ((".json", open), (".json.gz", gzip.open)):
            try:
                with opener(file_path + extension, "rb") as stream:
                    return json.loads(stream.read())
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                continue
        return None


class _KnownServices:
    """The services a data type exists for, asked one name at a time: the first client of a
    service looks in that service's directory only, not in all 450 (botocore lists them all to
    check one name, 10-25 ms per data type). Listing it, which only an error message does, still
    lists them all."""

    def __init__(self, loader: DataLoader, type_name: str) -> None:
        self._loader = loader
        self._type_name = type_name

    def __contains__(self, service: object) -> bool:
        if not isinstance(service, str) or not service or os.sep in service or service.startswith("."):
            return False
        try:
            return bool(self._loader.list_api_versions(service, self._type_name))
        except DataNotFoundError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(Loader.list_available_services(self._loader, self._type_name))


class DataLoader(Loader):  # type: ignore[misc]  # botocore is untyped
    """botocore's loader of service models and endpoint data, faster to its first client."""

    FILE_LOADER_CLASS = _JsonFiles

    def list_available_services(self, type_name: str) -> _KnownServices:
        return _KnownServices(self, type_name)


def new_session() -> botocore.session.Session:
    """A botocore session that reads its data files with :class:`DataLoader`, from the search
    paths botocore's own loader would use (``AWS_DATA_PATH`` first, read by botocore)."""
    session = botocore.session.Session()
    search_paths = create_loader(session.get_config_variable("data_path")).search_paths
    session.register_component("data_loader", DataLoader(search_paths, include_default_search_paths=False))
    return session


class _AssumedRoleProvider(CredentialProvider):  # type: ignore[misc]  # botocore is untyped
    METHOD = "assume-role-for-model"
    CANONICAL_NAME = "assume-role-for-model"

    def __init__(self, fetch: Callable[[], dict[str, Any]], clock: Clock | None) -> None:
        super().__init__()
        self._fetch = fetch
        self._clock = clock

    def load(self) -> RefreshableCredentials:
        metadata = self._fetch()
        extra = {"time_fetcher": self._clock} if self._clock else {}
        return RefreshableCredentials(
            access_key=metadata["access_key"],
            secret_key=metadata["secret_key"],
            token=metadata["token"],
            expiry_time=datetime.fromisoformat(metadata["expiry_time"]),
            refresh_using=self._fetch,
            method=self.METHOD,
            **extra,
        )


class AwsClients:
    """Clients keyed by (service, region, role ARN, external id); thread-safe."""

    def __init__(
        self,
        session: botocore.session.Session | None = None,
        *,
        config: Config | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._session = session or new_session()
        self._config = config or client_config(60.0)
        self._clock = clock
        # Bounded: an admin's custom spec may name any region and external id.
        self._clients: Lru[tuple[str, str | None, str | None, str | None], Any] = Lru(MAX_CLIENTS)
        self._sessions: Lru[tuple[str, str | None], botocore.session.Session] = Lru(MAX_ROLE_SESSIONS)

    def get(
        self,
        service: str,
        region: str | None = None,
        role_arn: str | None = None,
        external_id: str | None = None,
    ) -> Any:
        key = (service, region, role_arn, external_id)
        return self._clients.get_or_make(key, lambda: self._client(service, region, role_arn, external_id))

    def _client(self, service: str, region: str | None, role_arn: str | None, external_id: str | None) -> Any:
        session = self._role_session(role_arn, external_id) if role_arn else self._session
        client = session.create_client(service, region_name=region, config=self._config)
        client.meta.events.register("before-sign", propagate_trace)
        return client

    def _role_session(self, role_arn: str, external_id: str | None) -> botocore.session.Session:
        return self._sessions.get_or_make(
            (role_arn, external_id), lambda: self._new_role_session(role_arn, external_id)
        )

    def _new_role_session(self, role_arn: str, external_id: str | None) -> botocore.session.Session:
        base = self._session
        role_session = botocore.session.Session()
        # Share the loaded service models: a second loader would read them from disk again.
        role_session.register_component("data_loader", base.get_component("data_loader"))
        provider = _AssumedRoleProvider(functools.partial(self._assume, role_arn, external_id), self._clock)
        role_session.register_component("credential_provider", CredentialResolver([provider]))
        role_session.set_config_variable("region", self._region)
        return role_session

    @property
    def _region(self) -> str | None:
        region: str | None = self._session.get_config_variable("region")
        return region

    def _assume(self, role_arn: str, external_id: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": ROLE_SESSION_NAME,
            "DurationSeconds": ROLE_SESSION_SECONDS,
        }
        if external_id:
            kwargs["ExternalId"] = external_id
        credentials = self.get("sts", self._region).assume_role(**kwargs)["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }


@functools.cache
def get_clients(read_timeout: float) -> AwsClients:
    """The container's clients (one set per timeout setting, which is fixed per container)."""
    return AwsClients(config=client_config(read_timeout))
