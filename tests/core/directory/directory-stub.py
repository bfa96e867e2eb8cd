#!/usr/bin/env python3
"""A stand-in for sealpost-keydir in the client's unit tests: answers every request over real HTTP
with what the test wrote to DIR/response.json, and records each request in DIR/requests.jsonl.

response.json: {"status": 200, "headers": {"Content-Type": "application/json"}, "body": "...",
                "body_bytes": N (optional: a body of N 'x' instead), "delay": seconds (optional)}
Prints "listening on 127.0.0.1:PORT" once it accepts connections. With CERT.pem and KEY.pem after
DIR it speaks HTTPS with that certificate.
"""
import http.server
import json
import os
import ssl
import sys
import time


def main():
    state_dir = sys.argv[1]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            with open(os.path.join(state_dir, "requests.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "content_type": self.headers.get("Content-Type", ""),
                                    "authorization": self.headers.get("Authorization", ""),
                                    "body": body}) + "\n")
            with open(os.path.join(state_dir, "response.json"), encoding="utf-8") as f:
                answer = json.load(f)
            time.sleep(answer.get("delay", 0))
            if "body_bytes" in answer:
                payload = b"x" * answer["body_bytes"]
            else:
                payload = answer.get("body", "").encode("utf-8")
            self.send_response(answer.get("status", 200))
            for name, value in answer.get("headers", {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = handle_any
        do_POST = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if len(sys.argv) > 3:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
