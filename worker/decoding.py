"""Messages the worker cannot read. Dramatiq decodes a message in the consumer: an undecodable one
(bytes that are not a message: a bug in another sender, a corrupted entry) raises there, and on Redis
that restarts the consumer and strands every message fetched with it in the worker's unacked set; on
RabbitMQ it is dropped into the broker's dead-letter queue and no record of it reaches
`control.dead_letters`. Here such bytes decode into a message of `UNDECODABLE_ACTOR`, an actor no
worker has, so it takes the path of a message of an unknown kind (Dramatiq fails it and nacks it, and
the tenant middleware lists it among the dead letters with a reason) and the rest of the batch runs.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import redis
import structlog
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.encoder import JSONEncoder, MessageData

log = structlog.get_logger()

# The actor of a message that could not be decoded; no actor of the project has this name.
UNDECODABLE_ACTOR = "crosswalk.undecodable"
# The option of such a message that says why, and the digest that finds its bytes on Redis again.
UNDECODABLE_OPTION = "undecodable"
UNDECODABLE_DIGEST_OPTION = "undecodable_sha256"
UNDECODABLE_HEAD_OPTION = "undecodable_head"
# What the dead letter keeps of the bytes: enough to recognise them, not a whole payload.
_HEAD_BYTES = 200

_REQUIRED_FIELDS: dict[str, type] = {
    "queue_name": str,
    "actor_name": str,
    "args": list,
    "kwargs": dict,
    "options": dict,
}
_OPTIONAL_FIELDS: dict[str, type] = {"message_id": str, "message_timestamp": int}


def _problem(fields: Any) -> str | None:
    """Why decoded JSON is not a Dramatiq message, or None when it is one."""
    if not isinstance(fields, dict):
        return f"a JSON {type(fields).__name__}, not a message"
    missing = sorted(set(_REQUIRED_FIELDS) - set(fields))
    if missing:
        return f"no {', '.join(missing)}"
    unknown = sorted(set(fields) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS))
    if unknown:
        return f"unknown fields {', '.join(unknown)}"
    for name, expected in {**_REQUIRED_FIELDS, **_OPTIONAL_FIELDS}.items():
        if name in fields and not isinstance(fields[name], expected):
            return f"{name} is not a {expected.__name__}"
    return None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class TolerantEncoder(JSONEncoder):
    """Dramatiq's JSON encoding; bytes that are not a message decode into one of `UNDECODABLE_ACTOR`."""

    def decode(self, data: bytes) -> MessageData:
        try:
            fields = super().decode(data)
        except Exception as exc:
            return undecodable(data, f"not JSON in UTF-8 ({type(exc).__name__})")
        problem = _problem(fields)
        if problem is not None:
            return undecodable(data, f"JSON that is not a message: {problem}")
        decoded: MessageData = fields
        return decoded


def undecodable(data: bytes, reason: str) -> MessageData:
    raw = bytes(data) if isinstance(data, bytes | bytearray | memoryview) else str(data).encode()
    log.warning("message_undecodable", reason=reason, size=len(raw))
    return {
        "queue_name": "",
        "actor_name": UNDECODABLE_ACTOR,
        "args": [],
        "kwargs": {},
        "options": {
            UNDECODABLE_OPTION: reason,
            UNDECODABLE_DIGEST_OPTION: digest(raw),
            UNDECODABLE_HEAD_OPTION: repr(raw[:_HEAD_BYTES]),
        },
        "message_id": str(uuid.uuid4()),
        "message_timestamp": int(time.time() * 1000),
    }


class _TolerantRedisConsumer(_RedisConsumer):
    """Redis acks and nacks a message by the id it was stored under, which Dramatiq reads from the
    message itself; for bytes that are not a message that id is found again among this worker's
    unacked ones by the bytes' digest, so the nack moves exactly them to the dead-letter queue."""

    def __next__(self) -> MessageProxy | None:
        message: MessageProxy | None = super().__next__()  # type: ignore[no-untyped-call]
        if message is None or UNDECODABLE_OPTION not in message.options:
            return message
        stored_as = self._stored_id(str(message.options[UNDECODABLE_DIGEST_OPTION]))
        if stored_as is None:
            log.error("undecodable_message_not_found", queue=self.queue_name)
        options = {"redis_message_id": stored_as} if stored_as is not None else {}
        return MessageProxy(message._message.copy(queue_name=self.queue_name, options=options))

    def _stored_id(self, wanted: str) -> str | None:
        broker: RedisBroker = self.broker
        client: redis.Redis = broker.client
        unacked = f"{broker.namespace}:__acks__.{broker.broker_id}.{self.queue_name}"
        ids = sorted(client.smembers(unacked))
        if not ids:
            return None
        stored = client.hmget(f"{broker.namespace}:{self.queue_name}.msgs", ids)
        for message_id, data in zip(ids, stored, strict=True):
            if isinstance(data, bytes) and digest(data) == wanted:
                return message_id.decode() if isinstance(message_id, bytes) else str(message_id)
        return None


class TolerantRedisBroker(RedisBroker):
    """Dramatiq's Redis broker whose consumers find undecodable messages again to dead-letter them."""

    @property
    def consumer_class(self) -> type[_RedisConsumer]:
        return _TolerantRedisConsumer
