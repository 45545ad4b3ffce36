"""Checks one answer of the shape suite before (and after) a target is loaded.

    python3 check_answer.py KIND FILE

FILE holds the answer's body; KIND says what it must be. Prints `ok` and exits 0, or prints
what is wrong and exits 1. A target that fails its check is not measured.

Kinds (the request is always the first of the wrk script's cycle: order c-42/A-1 x3,
item abc123?q=x):
  orders-flat     the upstream's document for the flat body, as nginx passes it back
  orders-mapped   naftiko's shape-4 answer: the four mapped fields, `format` "templated"
                  (the upstream saw the rendered template, quantity a JSON number)
  items-doc       the kit's upstream items document for abc123 / q=x
  items-mapped    the kit's items.yaml answer (REST)
  mcp-naftiko     a JSON-RPC tools/call result whose structuredContent is items-mapped
  mcp-naftiko-2026  the same, and resultType "complete" (revision 2026-07-28)
  mcp-fastmcp     a JSON-RPC tools/call result whose structuredContent is the items document
  mcp-fastmcp-2026  the same, and resultType "complete"
"""
import json
import sys

ITEMS_MAPPED = {
    "id": "abc123",
    "name": "Item abc123",
    "owner": "bench-owner",
    "related_ids": [f"abc123-r{i}" for i in range(1, 6)],
    "q": "x",
}
ORDERS_MAPPED = {"order_id": "ord-c-42-A-1", "status": "accepted", "total": 5997, "format": "templated"}


def items_doc(d):
    if not isinstance(d, dict):
        return f"not an object: {d!r}"
    if (d.get("item") or {}).get("id") != "abc123" or (d.get("meta") or {}).get("q") != "x":
        return "item.id is not abc123 or meta.q is not x"
    if [r.get("id") for r in d.get("related", [])] != ITEMS_MAPPED["related_ids"]:
        return "related ids differ"
    return None


def tool_result(d, era2026):
    if not isinstance(d, dict) or "result" not in d:
        return None, f"no JSON-RPC result: {json.dumps(d)[:300]}"
    r = d["result"]
    if r.get("isError") is not False:
        return None, f"isError is {r.get('isError')!r}: {json.dumps(r)[:300]}"
    if era2026 and r.get("resultType") != "complete":
        return None, f"resultType is {r.get('resultType')!r}, not complete"
    sc = r.get("structuredContent")
    if sc is None:
        return None, "no structuredContent"
    return sc, None


def check(kind, d):
    if kind == "orders-flat":
        o = d.get("order") or {}
        if o.get("id") != "ord-c-42-A-1" or (o.get("total") or {}).get("amount") != 5997:
            return "order.id or order.total.amount differ"
        if (d.get("meta") or {}).get("format") != "flat":
            return "meta.format is not flat"
        return None
    if kind == "orders-mapped":
        return None if d == ORDERS_MAPPED else f"expected {json.dumps(ORDERS_MAPPED)}"
    if kind == "items-doc":
        return items_doc(d)
    if kind == "items-mapped":
        return None if d == ITEMS_MAPPED else f"expected {json.dumps(ITEMS_MAPPED)}"
    if kind.startswith("mcp-naftiko") or kind.startswith("mcp-fastmcp"):
        sc, err = tool_result(d, kind.endswith("-2026"))
        if err:
            return err
        if kind.startswith("mcp-naftiko"):
            return None if sc == ITEMS_MAPPED else f"structuredContent {json.dumps(sc)[:300]}, expected {json.dumps(ITEMS_MAPPED)}"
        # FastMCP wraps a non-object result as {"result": ...}; the document is an object.
        if isinstance(sc, dict) and "item" not in sc and isinstance(sc.get("result"), dict):
            sc = sc["result"]
        return items_doc(sc)
    return f"unknown kind {kind}"


def main():
    kind, path = sys.argv[1], sys.argv[2]
    text = open(path, encoding="utf-8", errors="replace").read()
    try:
        d = json.loads(text)
    except ValueError as e:
        print(f"not JSON ({e}): {text[:300]!r}")
        return 1
    err = check(kind, d)
    if err:
        print(err)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
