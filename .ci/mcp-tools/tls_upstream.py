"""An HTTPS upstream for tests of naftiko's upstream TLS trust (tests/it/run_upstream_tls.rs):
Python's own http.server behind its ssl module, on 127.0.0.1 and a free port.

Usage: tls_upstream.py CERT KEY TOKEN
Prints the port on the first line of stdout, then serves until killed. Every request gets
200 `{"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"}`.
"""

import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main(argv):
    cert, key, token = argv[1], argv[2], argv[3]
    body = json.dumps({"access_token": token, "expires_in": 3600, "token_type": "Bearer"}).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            length = int(self.headers.get("content-length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = answer
        do_POST = answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
