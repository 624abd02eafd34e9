"""``GET /metrics``: the app's figures in Prometheus's text format, for Prometheus to scrape.

The endpoint is for the monitoring system, not for API clients, so it stays out of the OpenAPI
schema. What it reveals (routes, traffic, error rates) is not for the public either: in
production, let only the internal network reach it (the proxy or ingress does not route it),
or turn it off with ``NEODYME_METRICS_ENABLED=false``.
"""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from neodyme.resources import ResourcesDep

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(resources: ResourcesDep) -> Response:
    return Response(generate_latest(resources.metrics.registry), media_type=CONTENT_TYPE_LATEST)
