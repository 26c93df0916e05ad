"""Operator tools for the inference API: preflight checks, the config wizard, and a signed client.

- ``operator_tools.preflight``: ``./scripts/preflight``, quotas, model access, secrets and roles.
- ``operator_tools.configure``: ``./scripts/configure``, writes a deployment config that validates.
- ``operator_tools.invoke``: ``./scripts/invoke``, one SigV4-signed chat request to the Function URL.
- ``operator_tools.sigv4.SigV4Auth``: an httpx auth that signs requests, for the OpenAI SDK and others.
"""
