"""A loopback OAuth 2.0 token endpoint for the benchmark scripts: every POST gets
`{"access_token": "t", "expires_in": 3600}`. Used by bench-startup.sh and symbol-order.sh."""
import http.server
import json
import threading


class Token(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"access_token": "t", "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start():
    """Serves on a free loopback port in a daemon thread; returns the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Token)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"
