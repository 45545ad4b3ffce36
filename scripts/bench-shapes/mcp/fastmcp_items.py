"""The FastMCP peer of scripts/bench-shapes.sh, shape 5.

    python fastmcp_items.py PORT UPSTREAM_URL [--stateless]

FastMCP.from_openapi() on items-upstream.openapi.json (the kit's bench-upstream items API),
the tool get_item, its HTTP client an httpx2.AsyncClient with base_url=UPSTREAM_URL and the X-Api-Key header
(env BENCH_API_KEY) as a default header, served over Streamable HTTP at /mcp on
127.0.0.1:PORT with JSON answers (json_response=True, no SSE, as naftiko answers).
Without --stateless, 2025-revision clients get sessions (initialize -> Mcp-Session-Id); with
it, the server keeps none (stateless_http=True). Requests of revision 2026-07-28 are
single exchanges either way (the MCP SDK serves both eras on one endpoint). Logging at
warning, no uvicorn access log (the kit's nginx runs with access_log off).
"""
import asyncio
import json
import os
import pathlib
import sys

import httpx2
from fastmcp import FastMCP


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    port, upstream = int(args[0]), args[1]
    stateless = "--stateless" in sys.argv[1:]
    spec = json.loads((pathlib.Path(__file__).parent / "items-upstream.openapi.json").read_text())
    spec["servers"] = [{"url": upstream}]
    key = os.environ.get("BENCH_API_KEY", "bench-api-key")
    client = httpx2.AsyncClient(base_url=upstream, headers={"X-Api-Key": key}, timeout=30.0)
    # The tool is get_item: FastMCP makes names of [A-Za-z0-9_] from the operationId
    # (get-item), even one given in mcp_names.
    server = FastMCP.from_openapi(spec, client=client, name="bench-items")
    asyncio.run(
        server.run_http_async(
            show_banner=False,
            transport="http",
            host="127.0.0.1",
            port=port,
            path="/mcp",
            log_level="warning",
            json_response=True,
            stateless_http=stateless,
            uvicorn_config={"access_log": False},
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
