"""kombu's Sentinel transport, kept alive through a failover.

When the master dies under a worker that holds a delivered, not yet acknowledged message (always, under
traffic: ``acks_late``), Celery's consumer closes the broken connection twice (``collect()``, then
``close()``). The first pass detaches the transport from the connection and, with no master to reach, can
stop before the channel counts as closed; the second pass then tries to put the held messages back with a
client built from the detached connection, which raises ``AttributeError`` (``'NoneType' object has no
attribute 'hostname'``). That is not a connection error, so the consumer calls it unrecoverable and the
worker process exits instead of reconnecting to the new master. (Seen with kombu 5.7 / Celery 5.7 in
tests/integration/redis_ha; a single Redis killed the same way does not trigger it.)

Nothing needs putting back at that point: a delivered message is also in the broker's unacked hash (and
so on the replica that becomes the master), and the unacked restore hands it out again after
``visibility_timeout`` — the same path that covers a worker killed mid-task. So when the connection is
already gone, the channel forgets its held messages instead of crashing.

``install()`` (called by celery_app.config for a ``sentinel://`` broker) registers this transport as kombu's
``sentinel`` scheme rather than naming it in ``broker_transport``: after a connection error kombu switches
to the next ``sentinel://`` URL of the list and takes the transport from that URL's scheme again, so a
transport given any other way would be gone after the first failover.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import redis as kombu_redis


class QoS(kombu_redis.QoS):
    def restore_unacked(self, client: Any = None) -> None:
        if client is None and getattr(self.channel.connection, "client", None) is None:
            self._delivered.clear()
            return
        super().restore_unacked(client)  # type: ignore[no-untyped-call]


class Channel(kombu_redis.SentinelChannel):
    QoS = QoS


class Transport(kombu_redis.SentinelTransport):
    Channel = Channel


def install() -> None:
    TRANSPORT_ALIASES["sentinel"] = f"{__name__}:Transport"
