-- wrk script for scripts/bench-shapes.sh, shape 5: POST the JSON-RPC `tools/call` of the
-- items tool over MCP Streamable HTTP, cycling over the same ids and queries as the kit's
-- get_items.lua, and print the kit's machine-readable BENCH_RESULT line.
--   BENCH_MCP_ERA      2025 (default) or 2026
--   BENCH_MCP_SESSION  2025: the Mcp-Session-Id of an initialized session (obtained by the
--                      harness before wrk starts); empty: none sent
--   BENCH_MCP_VERSION  2025: the MCP-Protocol-Version header (default 2025-06-18)
--   BENCH_MCP_TOOL     the tool name (default get-item)
-- 2026 (revision 2026-07-28, stateless): no session; MCP-Protocol-Version: 2026-07-28,
-- Mcp-Method: tools/call and Mcp-Name: <tool> headers, and the revision and client
-- capabilities in params._meta, as the revision asks.
-- The requests are formatted once per thread in init(); request() only picks the next one.
local items = {
   { "abc123", "x" }, { "def456", "shoes" }, { "item-42", "red shoes" }, { "x9y8z7", "a1" },
   { "widget-007", "blue" }, { "p-1000", "x" }, { "zz-top", "42" }, { "k3k3k3", "caf\\u00e9" },
}
local era = os.getenv("BENCH_MCP_ERA") or "2025"
local session = os.getenv("BENCH_MCP_SESSION") or ""
local version = os.getenv("BENCH_MCP_VERSION") or "2025-06-18"
local tool = os.getenv("BENCH_MCP_TOOL") or "get-item"

-- request() and done(): cycle.lua, beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "cycle.lua")

function init(args)
   local headers = {
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json, text/event-stream",
   }
   local meta = ""
   if era == "2026" then
      headers["MCP-Protocol-Version"] = "2026-07-28"
      headers["Mcp-Method"] = "tools/call"
      headers["Mcp-Name"] = tool
      meta = ',"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
         '"io.modelcontextprotocol/clientCapabilities":{},' ..
         '"io.modelcontextprotocol/clientInfo":{"name":"bench-shapes-wrk","version":"1"}}'
   else
      headers["MCP-Protocol-Version"] = version
      if session ~= "" then headers["Mcp-Session-Id"] = session end
   end
   for k, it in ipairs(items) do
      local body = string.format(
         '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s","arguments":{"id":"%s","q":"%s"}%s}}',
         k, tool, it[1], it[2], meta)
      n = n + 1
      reqs[n] = wrk.format("POST", wrk.path, headers, body)
   end
end
