#!/usr/bin/env python3
"""An MCP client that finds its authorization server by itself, built on the official MCP
Python SDK (`mcp`, see requirements.txt): `ClientCredentialsOAuthProvider` with the
client-credentials grant.

Usage (run with .ci/mcp-tools/venv/bin/python, after .ci/mcp-tools/install.sh):

    mcp_oauth_client.py URL ISSUER CLIENT_ID CLIENT_SECRET SCOPE TOOL

The SDK's first request to URL (the Streamable HTTP endpoint) gets 401 with
`WWW-Authenticate: Bearer ... resource_metadata="..."`; it then reads the protected-resource
metadata (RFC 9728), the authorization server's metadata, asks the token endpoint for a token
for the resource (RFC 8707 `resource`), and retries. Then it lists the tools and calls TOOL with
no arguments.

Prints ONE JSON document on stdout:
    {"requests": ["GET http://...", ...],   every HTTP request the client sent, in order
     "protocolVersion": "...", "tools": [names], "call": <the tools/call result>}
Exit status: 0 on success, 1 on any failure (message on stderr).
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import anyio
import httpx2

from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

warnings.filterwarnings("ignore", category=DeprecationWarning)


class MemoryStorage:
    """The SDK's TokenStorage protocol, in memory."""

    def __init__(self) -> None:
        self.tokens: Any = None
        self.client_info: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client_info

    async def set_client_info(self, client_info: Any) -> None:
        self.client_info = client_info


async def run(url: str, issuer: str, client_id: str, secret: str, scope: str, tool: str) -> dict[str, Any]:
    requests: list[str] = []

    async def record(request: httpx2.Request) -> None:
        requests.append(f"{request.method} {request.url}")

    provider = ClientCredentialsOAuthProvider(
        server_url=url,
        storage=MemoryStorage(),
        client_id=client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_post",
        scope=scope,
        issuer=issuer,
    )
    async with httpx2.AsyncClient(auth=provider, event_hooks={"request": [record]}, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                tools = await session.list_tools()
                result = await session.call_tool(tool, {})
    return {
        "requests": requests,
        "protocolVersion": str(getattr(init, "protocol_version", "") or getattr(init, "protocolVersion", "")),
        "tools": [t.name for t in tools.tools],
        "call": result.model_dump(mode="json", by_alias=True, exclude_none=True),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        doc = anyio.run(run, *argv)
    except BaseException as e:  # noqa: BLE001 - report whatever failed
        while isinstance(e, BaseExceptionGroup) and e.exceptions:
            e = e.exceptions[0]
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
