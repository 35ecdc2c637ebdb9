#!/usr/bin/env python3
"""An HTTP proxy in front of a real S3 server (SeaweedFS in the tests) that answers bursts of
500 InternalError and 503 SlowDown, as S3 does under load, for the reliability suite
(docs/reliability.md). Standard library only.

    s3-fault-proxy.py --upstream http://127.0.0.1:8333 [--seed N] [--burst-chance 0.08]
                      [--burst-max 4] [--stats FILE]

Listens on a free loopback port and prints it on the first line of standard output. Each request
either starts a burst (with --burst-chance) or, inside a burst, is answered with the burst's
error without reaching the server; the others are passed through unchanged (the Host header
too, so SigV4 signatures still verify). --stats names a file rewritten after every request with
JSON counts: requests, passed, injected, bursts.
"""

import argparse
import http.client
import http.server
import json
import os
import random
import sys
import threading
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class Faults:
    def __init__(self, seed, chance, longest, stats):
        self.random = random.Random(seed)
        self.chance = chance
        self.longest = longest
        self.stats_path = stats
        self.lock = threading.Lock()
        self.left = 0
        self.status = 503
        self.counts = {"requests": 0, "passed": 0, "injected": 0, "bursts": 0}

    def decide(self):
        """The error status to answer with, or None to pass the request through."""
        with self.lock:
            self.counts["requests"] += 1
            if self.left == 0 and self.random.random() < self.chance:
                self.left = self.random.randint(1, self.longest)
                self.status = self.random.choice([500, 503])
                self.counts["bursts"] += 1
            if self.left > 0:
                self.left -= 1
                self.counts["injected"] += 1
                answer = self.status
            else:
                self.counts["passed"] += 1
                answer = None
            if self.stats_path:
                with open(self.stats_path, "w") as out:
                    json.dump(self.counts, out)
            return answer


def handler(upstream, faults):
    target = urllib.parse.urlsplit(upstream)

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def relay(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status = faults.decide()
            if status is not None:
                code = "SlowDown" if status == 503 else "InternalError"
                text = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected by s3-fault-proxy</Message></Error>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(text)
                return
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
            finally:
                connection.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay

    return Proxy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--burst-chance", type=float, default=0.08)
    parser.add_argument("--burst-max", type=int, default=4)
    parser.add_argument("--stats")
    options = parser.parse_args()
    faults = Faults(options.seed, options.burst_chance, options.burst_max, options.stats)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(options.upstream, faults))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    sys.stdout.close()

    def watch_input():
        # The program that started the proxy holds its standard input open; when it ends, so does the proxy.
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=watch_input, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
