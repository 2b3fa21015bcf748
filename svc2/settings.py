"""service_2 settings from the environment."""

from __future__ import annotations

from dataclasses import dataclass

from envconfig import Env


class MissingToken(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8002
    service_token: str = ""

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = env or Env()
        token = env.text("SERVICE_TOKEN", "")
        if not token.strip():
            # An empty token would let anyone who can reach the port call the internal API.
            raise MissingToken("SERVICE_TOKEN is empty: service_2 will not start without it")
        return cls(
            host=env.text("SVC2_HOST", cls.host),
            port=env.integer("SVC2_PORT", cls.port, minimum=1),
            service_token=token,
        )
