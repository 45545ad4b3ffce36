#!/usr/bin/env python3
"""A loopback OTLP/HTTP trace receiver for tests/it/run_otlp.rs: each export naftiko sends is
decoded with the official generated classes (opentelemetry-proto's
`ExportTraceServiceRequest`, see requirements.txt), never with naftiko's own code.

Usage: otlp_receiver.py SPANS_FILE RAW_FILE   (runs in .ci/mcp-tools/venv)

Listens on 127.0.0.1 (a free port) and prints `listening PORT` on stdout once ready. Every
`POST /v1/traces` must be `Content-Type: application/x-protobuf`; its body is appended to
RAW_FILE as it came, and each span it holds is appended to SPANS_FILE as one JSON line:

    {"traceId": hex, "spanId": hex, "parentSpanId": hex ("" for a root), "traceState": str,
     "name": str, "kind": int (1 internal, 2 server, 3 client), "start": int, "end": int,
     "attributes": {key: str | int}, "status": int (0 unset, 2 error),
     "resource": {key: str}, "scope": str}

A request that is not a valid export is answered 400 and noted as {"error": "..."} in
SPANS_FILE. Runs until killed.
"""

import http.server
import json
import sys

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def value_of(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(key_values):
    return {kv.key: value_of(kv.value) for kv in key_values}


def spans_of(request):
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield {
                    "traceId": span.trace_id.hex(),
                    "spanId": span.span_id.hex(),
                    "parentSpanId": span.parent_span_id.hex(),
                    "traceState": span.trace_state,
                    "name": span.name,
                    "kind": span.kind,
                    "start": span.start_time_unix_nano,
                    "end": span.end_time_unix_nano,
                    "attributes": attributes(span.attributes),
                    "status": span.status.code,
                    "resource": resource,
                    "scope": scope_spans.scope.name,
                }


class Handler(http.server.BaseHTTPRequestHandler):
    spans_file = ""
    raw_file = ""

    def note(self, line):
        with open(self.spans_file, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    def do_POST(self):  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(self.raw_file, "ab") as raw:
            raw.write(body)
        problem = None
        if self.path != "/v1/traces":
            problem = f"unexpected path {self.path}"
        elif self.headers.get("Content-Type") != "application/x-protobuf":
            problem = f"unexpected content type {self.headers.get('Content-Type')}"
        else:
            request = ExportTraceServiceRequest()
            try:
                request.ParseFromString(body)
            except DecodeError as e:
                problem = f"not an ExportTraceServiceRequest: {e}"
        if problem:
            self.note({"error": problem})
            self.send_response(400)
            self.end_headers()
            return
        for span in spans_of(request):
            self.note(span)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    Handler.spans_file, Handler.raw_file = sys.argv[1], sys.argv[2]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
