#!/usr/bin/env python3
"""A webhook and ping receiver for the notification tests.

Listens on 127.0.0.1 (a free port, written to --port-file once ready),
appends every request to --log as one JSON object per line (time, method,
path, headers, body, the status it answered) and answers 200, except that
each --script PATH=S1,S2,... makes the first requests for PATH (without its
query) answer S1, S2, ... With --hang it records each request and never
answers.
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--script", action="append", default=[])
ap.add_argument("--hang", action="store_true")
args = ap.parse_args()
scripts = {}
for spec in args.script:
    path, _, codes = spec.partition("=")
    scripts[path] = [int(c) for c in codes.split(",") if c]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with lock:
            queue = scripts.get(self.path.split("?")[0], [])
            status = queue.pop(0) if queue else 200
            rec = {"t": time.time(), "method": self.command,
                   "path": self.path, "headers": dict(self.headers),
                   "body": body.decode("utf-8", "replace"),
                   "status": status}
            with open(args.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        if args.hang:
            time.sleep(3600)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = answer

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
tmp = args.port_file + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(tmp, args.port_file)
srv.serve_forever()
