#!/usr/bin/env python3
"""A test keystore: Vault KV v2 and the http-json shape, over HTTP and TLS.

Python standard library only. Listens on 127.0.0.1, port 0 (the kernel
picks), on every listener asked for, then writes {"NAME": PORT, ...} to
--port-file (atomically, by rename). It stops when its stdin reaches EOF or
its parent dies, so a test that forgets it leaves no process behind.

Listeners:
  --plain NAME                      plain HTTP
  --tls NAME:CERT:KEY               TLS
  --mtls NAME:CERT:KEY:CLIENT_CA    TLS that requires a client certificate
--remove-on-exit DIR removes the test's directory when the server stops.

Data (--data FILE, JSON): {"path": "etl/warehouse", "values": {k: v, ...}}.
The accepted token is the content of --token-file, read on every request.

Routes:
  GET /v1/secret/data/PATH          Vault KV v2 (X-Vault-Token)
  GET /keys/KEYS                    http-json, flat object (Bearer token)
  GET /wrapped/keys/KEYS            http-json, {"status_code", "answer"}
  GET /v1/secret/data/scenario/NAME/TAG[/...]   a scenario, Vault shape
  GET /scenario/NAME/TAG/keys/KEYS              a scenario, http-json shape
  GET /_control/count/NAME/TAG      {"count": N, "namespace": ..., ...}

Scenarios: ok, 500, 503-then-200, 403, 404, deleted, null-data, missing-key,
non-string, malformed, oversized (chunked, 2 MiB), oversized-cl (with a
Content-Length), slow (3 s), stall (20 s), redirect, leaky (an error that
echoes the token), leaky-text, wrapped, wrapped-error, empty, not-object,
close.
"""

import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"counts": {}, "seen": {}, "lock": threading.Lock()}
ARGS = None
DATA = None


def accepted_token():
    with open(ARGS.token_file) as f:
        return f.read().strip()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "keystore-test/1"

    def log_message(self, fmt, *args):
        if ARGS.verbose:
            sys.stderr.write("keystore_server: " + (fmt % args) + "\n")

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, 1)
        except OSError:
            pass

    # --- replies -------------------------------------------------------

    def reply(self, status, body, ctype="application/json", headers=None):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, shape, status, message):
        if shape == "vault":
            self.reply(status, {"errors": [message] if message else []})
        else:
            self.reply(status, {"status_code": status,
                                "answer": {"message": message}})

    def values(self, keys):
        vals = DATA["values"]
        if keys is None:
            return dict(vals)
        return {k: vals[k] for k in keys if k in vals}

    def ok(self, shape, keys, values=None, wrapped=False):
        vals = self.values(keys) if values is None else values
        if shape == "vault":
            self.reply(200, {
                "request_id": "00000000-0000-0000-0000-000000000000",
                "lease_id": "", "renewable": False, "lease_duration": 0,
                "data": {"data": vals, "metadata": {
                    "created_time": "2026-01-01T00:00:00Z",
                    "custom_metadata": None, "deletion_time": "",
                    "destroyed": False, "version": 3}},
                "wrap_info": None, "warnings": None, "auth": None})
        elif wrapped:
            self.reply(200, {"status_code": 200, "answer": vals})
        else:
            self.reply(200, vals)

    # --- routing -------------------------------------------------------

    def do_GET(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def route(self):
        path = urllib.parse.urlsplit(self.path).path
        parts = [urllib.parse.unquote(p) for p in path.split("/")[1:]]
        if parts[:2] == ["_control", "count"] and len(parts) == 4:
            return self.control("/".join(parts[2:4]))
        if parts[:1] == ["v1"]:
            return self.vault(parts[1:])
        return self.http_json(parts)

    def control(self, tag):
        with STATE["lock"]:
            seen = dict(STATE["seen"].get(tag, {}))
            seen["count"] = STATE["counts"].get(tag, 0)
        self.reply(200, seen)

    def count(self, tag):
        with STATE["lock"]:
            n = STATE["counts"].get(tag, 0) + 1
            STATE["counts"][tag] = n
            STATE["seen"][tag] = {
                "namespace": self.headers.get("X-Vault-Namespace"),
                "user_agent": self.headers.get("User-Agent"),
                "path": self.path,
            }
        return n

    def vault(self, parts):
        # parts: MOUNT data PATH...
        if len(parts) < 3 or parts[1] != "data":
            return self.error("vault", 404, None)
        secret = "/".join(parts[2:])
        if parts[0] != "secret":
            return self.error("vault", 403, "permission denied")
        if parts[2] == "scenario" and len(parts) >= 5:
            return self.scenario("vault", parts[3], parts[4], None)
        if self.headers.get("X-Vault-Token") != accepted_token():
            return self.error("vault", 403, "permission denied")
        if secret != DATA["path"]:
            return self.error("vault", 404, None)
        self.ok("vault", None)

    def http_json(self, parts):
        wrapped = False
        if parts[:1] == ["wrapped"]:
            wrapped, parts = True, parts[1:]
        if parts[:1] == ["scenario"] and len(parts) >= 5 and \
                parts[3] == "keys":
            keys = parts[4].split(",")
            return self.scenario("http", parts[1], parts[2], keys)
        if len(parts) != 2 or parts[0] != "keys":
            return self.error("http", 404, "no such route")
        if self.headers.get("Authorization") != "Bearer " + accepted_token():
            return self.error("http", 403, "invalid token")
        self.ok("http", parts[1].split(","), wrapped=wrapped)

    # --- scenarios -----------------------------------------------------

    def scenario(self, shape, name, tag, keys):
        n = self.count(name + "/" + tag)
        good = self.headers.get("X-Vault-Token") == accepted_token() or \
            self.headers.get("Authorization") == "Bearer " + accepted_token()
        if name in ("ok", "503-then-200", "slow", "stall") and not good:
            return self.error(shape, 403, "permission denied")
        handler = SCENARIOS.get(name)
        if handler is None:
            return self.error(shape, 404, "unknown scenario " + name)
        handler(self, shape, keys, n)

    def sc_ok(self, shape, keys, n):
        self.ok(shape, keys)

    def sc_500(self, shape, keys, n):
        self.error(shape, 500, "internal error")

    def sc_503_then_200(self, shape, keys, n):
        if n == 1:
            return self.error(shape, 503, "Vault is sealed")
        self.ok(shape, keys)

    def sc_403(self, shape, keys, n):
        self.error(shape, 403, "permission denied")

    def sc_404(self, shape, keys, n):
        self.error(shape, 404, None)

    def sc_deleted(self, shape, keys, n):
        self.reply(404, {"data": {"data": None, "metadata": {
            "deletion_time": "2026-01-01T00:00:00Z", "destroyed": False,
            "version": 2}}})

    def sc_null_data(self, shape, keys, n):
        self.reply(200, {"data": {"data": None, "metadata": {}}})

    def sc_missing_key(self, shape, keys, n):
        vals = self.values(keys)
        vals.pop("db_password", None)
        self.ok(shape, keys, values=vals)

    def sc_non_string(self, shape, keys, n):
        vals = self.values(keys)
        vals["db_password"] = 12345
        self.ok(shape, keys, values=vals)

    def sc_malformed(self, shape, keys, n):
        secret = DATA["values"].get("db_password", "x")
        body = '{"data": {"data": {"db_password": "%s", }' % secret
        self.reply(200, body.encode())

    def sc_oversized(self, shape, keys, n):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"a" * 65536
        self.write_chunk(b'{"data": {"data": {"db_password": "')
        for _ in range(32):             # 2 MiB
            self.write_chunk(chunk)
        self.write_chunk(b'"}}}')
        self.wfile.write(b"0\r\n\r\n")

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

    def sc_oversized_cl(self, shape, keys, n):
        self.reply(200, b"{" + b" " * (2 * 1024 * 1024) + b"}")

    def sc_slow(self, shape, keys, n):
        time.sleep(3)
        self.ok(shape, keys)

    def sc_stall(self, shape, keys, n):
        # Long enough that a client still waiting was not cancelled.
        time.sleep(20)
        self.ok(shape, keys)

    def sc_redirect(self, shape, keys, n):
        self.reply(302, b"", headers={
            "Location": "/v1/secret/data/" + DATA["path"]})

    def sc_leaky(self, shape, keys, n):
        token = self.headers.get("X-Vault-Token") or \
            self.headers.get("Authorization", "")
        self.error(shape, 400, "token %s is not valid here" % token)

    def sc_leaky_text(self, shape, keys, n):
        token = self.headers.get("X-Vault-Token") or \
            self.headers.get("Authorization", "")
        self.reply(500, ("<html>bad token\n%s</html>" % token).encode(),
                   ctype="text/html")

    def sc_wrapped(self, shape, keys, n):
        self.ok(shape, keys, wrapped=True)

    def sc_wrapped_error(self, shape, keys, n):
        self.reply(200, {"status_code": 403, "answer": "access denied"})

    def sc_empty(self, shape, keys, n):
        self.reply(200, b"")

    def sc_not_object(self, shape, keys, n):
        self.reply(200, b"[1, 2]")

    def sc_close(self, shape, keys, n):
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


SCENARIOS = {
    "ok": Handler.sc_ok, "500": Handler.sc_500,
    "503-then-200": Handler.sc_503_then_200, "403": Handler.sc_403,
    "404": Handler.sc_404, "deleted": Handler.sc_deleted,
    "null-data": Handler.sc_null_data, "missing-key": Handler.sc_missing_key,
    "non-string": Handler.sc_non_string, "malformed": Handler.sc_malformed,
    "oversized": Handler.sc_oversized,
    "oversized-cl": Handler.sc_oversized_cl, "slow": Handler.sc_slow,
    "stall": Handler.sc_stall,
    "redirect": Handler.sc_redirect, "leaky": Handler.sc_leaky,
    "leaky-text": Handler.sc_leaky_text, "wrapped": Handler.sc_wrapped,
    "wrapped-error": Handler.sc_wrapped_error, "empty": Handler.sc_empty,
    "not-object": Handler.sc_not_object, "close": Handler.sc_close,
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    ssl_context = None

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the request's thread, so one
        # stalled client cannot block the accept loop.
        if self.ssl_context is None:
            return super().finish_request(request, client_address)
        try:
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            conn.close()

    def handle_error(self, request, client_address):
        if ARGS.verbose:
            super().handle_error(request, client_address)


def make_server(spec, kind):
    srv = Server(("127.0.0.1", 0), Handler)
    if kind != "plain":
        fields = spec.split(":")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(fields[1], fields[2])
        if kind == "mtls":
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(fields[3])
        srv.ssl_context = ctx
        name = fields[0]
    else:
        name = spec
    return name, srv


def stop(*_):
    # Also remove the test's directory: a test killed by SIGKILL cannot.
    if ARGS.remove_on_exit:
        shutil.rmtree(ARGS.remove_on_exit, ignore_errors=True)
    os._exit(0)


def watch_parent(parent):
    # EOF on stdin (the test's pipe closed), SIGTERM (sent by the test, or
    # by the kernel when the parent dies) or a new parent: stop.
    def run():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except OSError:
            pass
        stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=run, daemon=True).start()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if parent and os.getppid() != parent:
        stop()


def main():
    global ARGS, DATA
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--plain", action="append", default=[])
    p.add_argument("--tls", action="append", default=[])
    p.add_argument("--mtls", action="append", default=[])
    p.add_argument("--parent-pid", type=int, default=0)
    p.add_argument("--remove-on-exit", metavar="DIR")
    p.add_argument("--verbose", action="store_true")
    ARGS = p.parse_args()
    watch_parent(ARGS.parent_pid)
    with open(ARGS.data) as f:
        DATA = json.load(f)
    servers = [make_server(s, "plain") for s in ARGS.plain] + \
        [make_server(s, "tls") for s in ARGS.tls] + \
        [make_server(s, "mtls") for s in ARGS.mtls]
    ports = {name: srv.server_address[1] for name, srv in servers}
    for _, srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(ports, f)
    os.rename(tmp, ARGS.port_file)
    while True:                     # until SIGTERM or stdin EOF
        signal.pause()


if __name__ == "__main__":
    main()
