"""service_2 settings from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass


class MissingToken(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8002
    service_token: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        token = os.environ.get("SERVICE_TOKEN", "")
        if not token.strip():
            # An empty token would let anyone who can reach the port call the internal API.
            raise MissingToken("SERVICE_TOKEN is empty: service_2 will not start without it")
        return cls(
            host=os.environ.get("SVC2_HOST") or cls.host,
            port=int(os.environ.get("SVC2_PORT") or cls.port),
            service_token=token,
        )
