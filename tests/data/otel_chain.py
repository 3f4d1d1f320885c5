#!/usr/bin/env python3
"""A small instrumented chain of local processes, traced with the real OpenTelemetry SDK.

    loadgen --HTTP--> front (GET /checkout) --HTTP--> middle (GET /order) --HTTP--> back (GET /pay)

Each service is its own process with its own TracerProvider (resource service.name),
W3C trace context propagated in HTTP headers (opentelemetry.propagate), SERVER spans for
handlers and CLIENT spans for outgoing calls. Known service times: each handler sleeps
a uniform time before and after its call (front 1-2 + 1-2 ms, middle 3-5 + 2-4 ms, back
15-25 ms). Spans go to
an OTLP JSON file per process through a SpanExporter written here (one
ExportTraceServiceRequest per line, as the collector's file exporter writes them):
the SDK's own OTLP exporters speak HTTP/gRPC only.

usage: otel_chain.py OUTDIR [REQUESTS]     (writes OUTDIR/<service>.otlp.jsonl)
Only localhost is used; every loop is bounded.
"""

import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

SERVICES = {
    # name: (route, sleep before the call (ms range), sleep after it (ms range))
    "front": ("/checkout", (1.0, 2.0), (1.0, 2.0)),
    "middle": ("/order", (3.0, 5.0), (2.0, 4.0)),
    "back": ("/pay", (15.0, 25.0), None),
}


def value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


class OtlpJsonLines(SpanExporter):
    """Writes each batch of spans as one OTLP JSON ExportTraceServiceRequest line."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()

    def export(self, spans):
        by_resource = {}
        for s in spans:
            by_resource.setdefault(id(s.resource), (s.resource, []))[1].append(s)
        out = []
        for resource, group in by_resource.values():
            out.append({
                "resource": {"attributes": [{"key": k, "value": value(v)} for k, v in resource.attributes.items()]},
                "scopeSpans": [{"scope": {"name": "otel_chain"}, "spans": [span(s) for s in group]}],
            })
        with self.lock:
            self.file.write(json.dumps({"resourceSpans": out}) + "\n")
            self.file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self):
        self.file.close()


def span(s):
    d = {
        "traceId": format(s.context.trace_id, "032x"),
        "spanId": format(s.context.span_id, "016x"),
        "name": s.name,
        "kind": "SPAN_KIND_" + s.kind.name,
        "startTimeUnixNano": str(s.start_time),
        "endTimeUnixNano": str(s.end_time),
        "attributes": [{"key": k, "value": value(v)} for k, v in s.attributes.items()],
        "status": {"code": 2 if s.status.status_code == StatusCode.ERROR else 0},
    }
    if s.parent is not None:
        d["parentSpanId"] = format(s.parent.span_id, "016x")
    return d


def tracer_for(service, outdir):
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OtlpJsonLines(os.path.join(outdir, f"{service}.otlp.jsonl"))))
    return provider, provider.get_tracer("otel_chain")


def call(tracer, url, name):
    with tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes={"http.request.method": "GET", "url.full": url}):
        headers = {}
        propagate.inject(headers)
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            r.read()


def serve(service, outdir, downstream):
    provider, tracer = tracer_for(service, outdir)
    route, before, after = SERVICES[service]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/quit":
                self.send_response(200)
                self.end_headers()
                threading.Thread(target=server.shutdown).start()
                return
            # urllib capitalises header names; the default getter matches them exactly.
            ctx = propagate.extract({k.lower(): v for k, v in self.headers.items()})
            attrs = {"http.request.method": "GET", "http.route": route}
            with tracer.start_as_current_span(f"GET {route}", context=ctx, kind=SpanKind.SERVER, attributes=attrs):
                time.sleep(random.uniform(*before) / 1000)
                if downstream:
                    call(tracer, downstream, "GET")
                    time.sleep(random.uniform(*after) / 1000)
                body = b"ok"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    provider.shutdown()


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve":
        service, outdir, downstream = sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else ""
        random.seed(hash(service) & 0xFFFF)
        serve(service, outdir, downstream)
        return
    outdir = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    os.makedirs(outdir, exist_ok=True)
    procs, downstream = [], ""
    try:
        for service in ["back", "middle", "front"]:
            args = [sys.executable, __file__, "--serve", service, outdir]
            if downstream:
                args.append(downstream)
            p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
            procs.append(p)
            port = int(p.stdout.readline())
            downstream = f"http://127.0.0.1:{port}{SERVICES[service][0]}"
        provider, tracer = tracer_for("loadgen", outdir)
        random.seed(1)
        for _ in range(n):
            call(tracer, downstream, "GET /checkout")
            time.sleep(random.uniform(5, 15) / 1000)
        provider.shutdown()
    finally:
        for p in procs:
            try:
                p.terminate()
                p.wait(timeout=5)
            except Exception:
                p.kill()
    print(f"{n} requests traced into {outdir}")


if __name__ == "__main__":
    main()
