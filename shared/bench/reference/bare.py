"""Reference app: the least FastAPI can do for ``GET /health`` with a response model.

The ceiling for Neodyme's own ``/health``: the same framework, server and versions, nothing else.
"""

from fastapi import FastAPI
from pydantic import BaseModel


class HealthStatus(BaseModel):
    status: str
    version: str


app = FastAPI()


@app.get("/health", response_model=HealthStatus)
async def health() -> HealthStatus:
    return HealthStatus(status="ok", version="0.0.0")
