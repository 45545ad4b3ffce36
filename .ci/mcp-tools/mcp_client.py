#!/usr/bin/env python3
"""A real MCP client for tests, built on the official MCP Python SDK (`mcp`) or on FastMCP
(`fastmcp`), see requirements.txt.

Usage (run with .ci/mcp-tools/venv/bin/python, after .ci/mcp-tools/install.sh):

    mcp_client.py http  [OPTIONS] URL COMMANDS
    mcp_client.py stdio [OPTIONS] -- COMMAND [ARGS...] COMMANDS

OPTIONS:
    -H, --header "Name: value"   extra HTTP header on every request (http only; repeatable)
    --timeout SECONDS            connect+initialize timeout and per-request read timeout (default 30)
    --client KIND                which client connects (default legacy):
        legacy    mcp's ClientSession with the `initialize` handshake (a 2025 revision; the
                  client proposes 2025-11-25)
        sdk       mcp's Client, mode="auto": probes `server/discover` at 2026-07-28 and
                  falls back to `initialize` only when the server gives no modern answer
        fastmcp   fastmcp.Client, mode="auto" (the same negotiation, FastMCP's client API)

COMMANDS is a JSON array (or "-" to read it from stdin), run in order once connected:
    {"op": "ping"}                                   (legacy era only: 2026-07-28 has no ping)
    {"op": "list_tools"}
    {"op": "call_tool", "name": "x", "arguments": {...}}
    {"op": "list_resources"}
    {"op": "list_resource_templates"}
    {"op": "read_resource", "uri": "..."}
    {"op": "list_prompts"}
    {"op": "get_prompt", "name": "..", "arguments": {..}}
    {"op": "set_logging_level", "level": "info"}     (legacy client only)
    {"op": "complete", "ref": {"type": "ref/prompt", "name": ".."}, "argument": {"name": "a", "value": "v"}}
                                                     (legacy client only)

Prints ONE JSON document on stdout:
    {"protocolVersion": "...", "era": "initialize"|"discover", "serverInfo": {...},
     "capabilities": {...}, "instructions": "..."?, "sent": [...]?, "results": [<one per command>]}
"era" says how the version was negotiated: "discover" when the client adopted a
`server/discover` answer (2026-07-28, stateless), "initialize" after the handshake.
"sent" (http only) lists every JSON-RPC message the client POSTed, in order, as
{"method": "...", "header": <MCP-Protocol-Version header or null>, "meta": <the _meta
protocolVersion or null>}: it shows whether an `initialize` fallback happened.
Each result is the SDK's result model as plain JSON (model_dump(mode="json", by_alias=True,
exclude_none=True, exclude_unset=True): exclude_unset drops the defaults that mcp 2.x models add, such
as "resultType": "complete", "ttlMs" and "cacheScope", so a result holds only what the server sent).
A command that fails gets {"error": "<message>"} in its slot, plus "code"
when the server answered with a JSON-RPC error. Exit status: 0 once initialized (whatever the
commands gave), 1 when connecting or initializing fails (message on stderr), 2 on bad usage.
The stdio server inherits this process's whole environment, and its stderr goes to ours.

SDK notes (mcp 2.x): the HTTP transport is `mcp.client.streamable_http.streamable_http_client(url,
http_client=...)`, which yields (read, write); 1.x called it `streamablehttp_client` and yielded a
third item (a session-id getter): both are accepted here. `ClientSession.call_tool` lists the tools
first when the tool is not cached (to validate structuredContent against an outputSchema), so the
server sees a tools/list before the first tools/call of a session. On close the HTTP transport
sends DELETE with the Mcp-Session-Id when the server gave one. fastmcp's `call_tool` raises on
`isError`, so the fastmcp client uses its `*_mcp` methods, which return the protocol results.
"""

from __future__ import annotations

import json
import sys
import warnings
from contextlib import asynccontextmanager
from typing import Any

import anyio

from mcp import types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

try:  # mcp >= 2
    from mcp.client.streamable_http import streamable_http_client as _http_client

    _HTTP_CLIENT_KW = "http_client"
except ImportError:  # mcp 1.x
    from mcp.client.streamable_http import streamablehttp_client as _http_client  # type: ignore

    _HTTP_CLIENT_KW = ""

try:
    from mcp.shared.exceptions import MCPError as _McpError
except ImportError:  # mcp 1.x
    from mcp.shared.exceptions import McpError as _McpError  # type: ignore


# 2026-era deprecations (logging, subscribe, ...) still apply to the 2025-11-25 servers we test.
warnings.filterwarnings("ignore", message=r".*deprecated as of 2026", category=Warning)


CLIENTS = ("legacy", "sdk", "fastmcp")


class UsageError(Exception):
    pass


def usage(msg: str) -> None:
    raise UsageError(msg)


def dump(model: Any) -> Any:
    if model is None:
        return None
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=True)
    return model


def leaf_exception(exc: BaseException) -> BaseException:
    """The first non-group exception inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def error_slot(exc: BaseException) -> dict[str, Any]:
    exc = leaf_exception(exc)
    if isinstance(exc, _McpError):
        return {"error": exc.error.message, "code": exc.error.code}
    text = str(exc)
    return {"error": f"{type(exc).__name__}: {text}" if text else type(exc).__name__}


def parse_args(argv: list[str]) -> dict[str, Any]:
    if not argv or argv[0] in ("-h", "--help"):
        usage("")
    mode = argv[0]
    if mode not in ("http", "stdio"):
        usage(f"first argument must be 'http' or 'stdio', got {mode!r}")
    headers: dict[str, str] = {}
    timeout = 30.0
    client = "legacy"
    rest = argv[1:]
    i = 0
    while i < len(rest):
        a = rest[i]
        if a in ("-H", "--header"):
            if i + 1 >= len(rest):
                usage(f"{a} needs a value")
            name, sep, value = rest[i + 1].partition(":")
            if not sep or not name.strip():
                usage(f"header must look like 'Name: value', got {rest[i + 1]!r}")
            headers[name.strip()] = value.strip()
            i += 2
        elif a == "--client":
            if i + 1 >= len(rest) or rest[i + 1] not in CLIENTS:
                usage(f"--client needs one of {', '.join(CLIENTS)}")
            client = rest[i + 1]
            i += 2
        elif a == "--timeout":
            if i + 1 >= len(rest):
                usage("--timeout needs a value")
            timeout = float(rest[i + 1])
            i += 2
        elif a == "--":
            i += 1
            break
        elif a.startswith("-") and a != "-":
            usage(f"unknown option {a!r}")
        else:
            break
    positional = rest[i:]
    if len(positional) < 2:
        usage("missing " + ("URL and COMMANDS" if mode == "http" else "COMMAND and COMMANDS"))
    commands_text = positional[-1]
    if commands_text == "-":
        commands_text = sys.stdin.read()
    try:
        commands = json.loads(commands_text)
    except json.JSONDecodeError as e:
        usage(f"COMMANDS is not JSON: {e}")
    if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
        usage("COMMANDS must be a JSON array of objects")
    target = positional[:-1]
    if mode == "http":
        if len(target) != 1:
            usage("http mode takes exactly one URL before COMMANDS")
    elif headers:
        usage("--header is for http mode only")
    return {
        "mode": mode,
        "target": target,
        "headers": headers,
        "timeout": timeout,
        "commands": commands,
        "client": client,
    }


def recorder(sent: list[dict[str, Any]] | None):
    """An httpx request hook appending each POSTed JSON-RPC message's method and versions to `sent`."""

    async def record(request: Any) -> None:
        if sent is None or request.method != "POST":
            return
        try:
            body = json.loads(request.content or b"null")
        except (ValueError, RuntimeError):  # not JSON, or a streamed body
            return
        if not isinstance(body, dict):
            return
        meta = (body.get("params") or {}).get("_meta") or {}
        sent.append(
            {
                "method": body.get("method"),
                "header": request.headers.get("mcp-protocol-version"),
                "meta": meta.get("io.modelcontextprotocol/protocolVersion"),
            }
        )

    return record


def http_factory(sent: list[dict[str, Any]] | None):
    """An httpx client factory (the SDK's defaults) whose clients record what they POST."""
    from mcp.shared._httpx_utils import create_mcp_http_client

    def factory(headers: dict[str, str] | None = None, timeout: Any = None, auth: Any = None, **more: Any) -> Any:
        http = create_mcp_http_client(headers=headers, timeout=timeout, auth=auth)
        for name, value in more.items():  # fastmcp also passes follow_redirects
            setattr(http, name, value)
        http.event_hooks = {"request": [recorder(sent)], "response": []}
        return http

    return factory


def stdio_params(opts: dict[str, Any]) -> StdioServerParameters:
    import os

    command, *args = opts["target"]
    return StdioServerParameters(command=command, args=args, env=dict(os.environ))


@asynccontextmanager
async def open_transport(opts: dict[str, Any], sent: list[dict[str, Any]] | None = None):
    if opts["mode"] == "stdio":
        async with stdio_client(stdio_params(opts)) as (read, write):
            yield read, write
        return
    url = opts["target"][0]
    if _HTTP_CLIENT_KW:
        async with http_factory(sent)(headers=opts["headers"] or None) as http:
            async with _http_client(url, http_client=http) as streams:
                yield streams[0], streams[1]
    else:  # mcp 1.x
        async with _http_client(url, headers=opts["headers"] or None) as streams:
            yield streams[0], streams[1]


def connection(version: Any, era: str, info: Any, capabilities: Any, instructions: Any) -> dict[str, Any]:
    """The connection part of the output document."""
    doc = {"protocolVersion": version, "era": era, "serverInfo": dump(info), "capabilities": dump(capabilities)}
    if instructions is not None:
        doc["instructions"] = instructions
    return doc


@asynccontextmanager
async def connect_legacy(opts: dict[str, Any], sent: list[dict[str, Any]] | None):
    """mcp's ClientSession and the initialize handshake; yields (doc, run)."""
    timeout = opts["timeout"]
    async with open_transport(opts, sent) as (read, write):
        async with ClientSession(read, write, read_timeout_seconds=timeout) as session:
            with anyio.fail_after(timeout):
                init = await session.initialize()
            doc = connection(
                init.protocol_version, "initialize", init.server_info, init.capabilities, init.instructions
            )
            yield doc, lambda cmd: run_command(session, cmd)


@asynccontextmanager
async def connect_sdk(opts: dict[str, Any], sent: list[dict[str, Any]] | None):
    """mcp's Client in mode "auto" (server/discover, else initialize); yields (doc, run)."""
    from mcp.client.client import Client
    from mcp.client.streamable_http import streamable_http_client

    timeout = opts["timeout"]
    if opts["mode"] == "stdio":
        async with Client(stdio_params(opts), mode="auto", read_timeout_seconds=timeout) as client:
            yield modern_doc(client.session), lambda cmd: run_command(client, cmd)
        return
    async with http_factory(sent)(headers=opts["headers"] or None) as http:
        transport = streamable_http_client(opts["target"][0], http_client=http)
        async with Client(transport, mode="auto", read_timeout_seconds=timeout) as client:
            yield modern_doc(client.session), lambda cmd: run_command(client, cmd)


def modern_doc(session: Any) -> dict[str, Any]:
    """The connection part for a session negotiated by discover or initialize."""
    era = "discover" if session.discover_result is not None else "initialize"
    return connection(
        session.protocol_version, era, session.server_info, session.server_capabilities, session.instructions
    )


@asynccontextmanager
async def connect_fastmcp(opts: dict[str, Any], sent: list[dict[str, Any]] | None):
    """fastmcp.Client in mode "auto"; yields (doc, run)."""
    import os

    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport, StreamableHttpTransport

    if opts["mode"] == "stdio":
        command, *args = opts["target"]
        transport: Any = StdioTransport(command, args, env=dict(os.environ))
    else:
        transport = StreamableHttpTransport(
            opts["target"][0], headers=opts["headers"] or None, httpx_client_factory=http_factory(sent)
        )
    async with Client(transport, mode="auto", timeout=opts["timeout"]) as client:
        era = "initialize" if client.initialize_result is not None else "discover"
        doc = connection(
            client.protocol_version, era, client.server_info, client.server_capabilities, client.instructions
        )
        yield doc, lambda cmd: run_fastmcp(client, cmd)


async def run_fastmcp(client: Any, cmd: dict[str, Any]) -> Any:
    """One command with fastmcp's `*_mcp` methods (the protocol results; no raise on isError)."""
    op = cmd.get("op")
    if op == "ping":
        return {} if await client.ping() else {"error": "ping failed"}
    if op == "list_tools":
        return await client.list_tools_mcp()
    if op == "call_tool":
        return await client.call_tool_mcp(cmd["name"], cmd.get("arguments") or {})
    if op == "list_resources":
        return await client.list_resources_mcp()
    if op == "list_resource_templates":
        return await client.list_resource_templates_mcp()
    if op == "read_resource":
        return await client.read_resource_mcp(cmd["uri"])
    if op == "list_prompts":
        return await client.list_prompts_mcp()
    if op == "get_prompt":
        return await client.get_prompt_mcp(cmd["name"], cmd.get("arguments"))
    raise ValueError(f"unknown op {op!r} for the fastmcp client")


CONNECT = {"legacy": connect_legacy, "sdk": connect_sdk, "fastmcp": connect_fastmcp}


async def run_command(session: ClientSession, cmd: dict[str, Any]) -> Any:
    op = cmd.get("op")
    if op == "ping":
        return await session.send_ping()
    if op == "list_tools":
        return await session.list_tools()
    if op == "call_tool":
        return await session.call_tool(cmd["name"], cmd.get("arguments"))
    if op == "list_resources":
        return await session.list_resources()
    if op == "list_resource_templates":
        return await session.list_resource_templates()
    if op == "read_resource":
        return await session.read_resource(cmd["uri"])
    if op == "list_prompts":
        return await session.list_prompts()
    if op == "get_prompt":
        return await session.get_prompt(cmd["name"], cmd.get("arguments"))
    if op == "set_logging_level":
        return await session.set_logging_level(cmd.get("level", "info"))
    if op == "complete":
        ref = cmd["ref"]
        ref_model = (
            types.PromptReference.model_validate(ref)
            if ref.get("type") == "ref/prompt"
            else types.ResourceTemplateReference.model_validate(ref)
        )
        return await session.complete(ref_model, cmd["argument"], cmd.get("contextArguments"))
    raise ValueError(f"unknown op {op!r}")


async def main_async(opts: dict[str, Any]) -> int:
    timeout = opts["timeout"]
    sent: list[dict[str, Any]] | None = [] if opts["mode"] == "http" else None
    doc: dict[str, Any] = {}
    connected = False
    try:
        async with CONNECT[opts["client"]](opts, sent) as (connected_doc, run):
            connected = True
            doc.update(connected_doc)
            results: list[Any] = []
            doc["results"] = results
            for cmd in opts["commands"]:
                try:
                    results.append(dump(await run(cmd)))
                except KeyError as e:
                    results.append({"error": f"command {cmd!r} lacks field {e.args[0]!r}"})
                except Exception as e:  # noqa: BLE001 - every failure goes in its slot
                    results.append(error_slot(e))
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, KeyboardInterrupt):
            raise
        if not connected:
            leaf = leaf_exception(e)
            slot = error_slot(leaf)
            msg = slot["error"] if not isinstance(leaf, TimeoutError) else f"timed out after {timeout}s"
            print(f"mcp_client: connecting/initializing failed: {msg}", file=sys.stderr)
            return 1
        # Initialized, then the transport broke mid-command or while closing: print what we have.
        print(f"mcp_client: connection error after initialize: {error_slot(e)['error']}", file=sys.stderr)
    if sent is not None:
        doc["sent"] = sent
    print(json.dumps(doc, ensure_ascii=False))
    return 0


def main(argv: list[str]) -> int:
    try:
        opts = parse_args(argv)
    except UsageError as e:
        if str(e):
            print(f"mcp_client: {e}", file=sys.stderr)
        print(__doc__.split("\nPrints ONE")[0].split("\n", 2)[2].rstrip(), file=sys.stderr)
        return 2
    return anyio.run(main_async, opts)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
