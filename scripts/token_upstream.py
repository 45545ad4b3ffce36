"""A loopback OAuth 2.0 token endpoint for the benchmark scripts: every POST gets
`{"access_token": "t", "expires_in": 3600}`. Used by bench-startup.sh and symbol-order.sh."""
import http.server
import json
import socket
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


# The seed's token request, as a client sends it to `naftiko run`.
FORM = b"grant_type=client_credentials&client_id=demo&client_secret=s3cret"
TOKEN_REQUEST = (b"POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 b"Content-Type: application/x-www-form-urlencoded\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(FORM), FORM))


def free_port():
    """A loopback port nothing listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def exchange(port, raw, timeout):
    """Sends `raw` to 127.0.0.1:`port` and returns everything the server answers before it
    closes; raises OSError when nothing listens yet."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        c.sendall(raw)
        data = b""
        while chunk := c.recv(4096):
            data += chunk
        return data
