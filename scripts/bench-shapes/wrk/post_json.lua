-- wrk script for scripts/bench-shapes.sh, shape 4: POST a JSON body, cycling over a few
-- orders, and print the measurement kit's machine-readable BENCH_RESULT line.
--   BENCH_ORDERS  optional: newline-separated JSON bodies replacing the default cycle below
-- The requests are formatted once per thread in init(); request() only picks the next one,
-- so the generator's cost per request stays small (as the kit's get_items.lua).
local bodies = {
   '{"customer":"c-42","sku":"A-1","quantity":3,"note":"rush"}',
   '{"customer":"c-7","sku":"B-22","quantity":1,"note":"gift wrap"}',
   '{"customer":"acme-corp","sku":"SKU-9000","quantity":12,"note":"dock 4"}',
   '{"customer":"c-1001","sku":"C-3","quantity":2,"note":"caf\\u00e9 order"}',
   '{"customer":"zed","sku":"Z-1","quantity":7,"note":"\\"quoted\\" note"}',
   '{"customer":"c-42","sku":"D-4","quantity":5,"note":"none"}',
   '{"customer":"k3","sku":"E-55","quantity":9,"note":"leave at door"}',
   '{"customer":"m-9","sku":"F-6","quantity":4,"note":"x"}',
}
local custom = os.getenv("BENCH_ORDERS")
if custom and custom ~= "" then
   bodies = {}
   for b in custom:gmatch("[^\n]+") do bodies[#bodies + 1] = b end
end

-- request() and done(): cycle.lua, beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "cycle.lua")

function init(args)
   local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
   for _, b in ipairs(bodies) do
      n = n + 1
      reqs[n] = wrk.format("POST", wrk.path, headers, b)
   end
end
