"""Endpoints for operators' tools: /healthz for load balancers and process managers, /metrics for Prometheus."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, json, request

from qbwc_server import health
from qbwc_server.web import runtime_of

ops = Blueprint("ops", __name__)


@ops.get("/healthz")
def healthz() -> Response:
    """Answer 200 when the database is reachable and migrated, 503 with the reason otherwise; no login."""
    found = health.check(runtime_of(current_app).engine)
    response = Response(json.dumps(found.as_dict()), status=200 if found.healthy else 503, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@ops.get("/metrics")
def metrics() -> Response:
    """Answer the Prometheus text format to a caller with the metrics token or from an allowed address."""
    from qbwc_server.metrics import exposition

    runtime = runtime_of(current_app)
    why = exposition.refusal(runtime.settings, request.remote_addr, request.headers.get("Authorization"))
    if why is not None:
        return Response(why + "\n", status=403, mimetype="text/plain")
    response = Response(exposition.render(runtime), status=200, content_type=exposition.CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response
