"""The s3-proxy service: `python -m lab_stack.proxy HOST PORT TARGET_HOST TARGET_PORT`.

A workshop's object store binds loopback (its other ports take writes from anyone); this
carries its S3 port alone to the room's address.

Every connection holds two file descriptors here until one side closes it, and opening one
needs no credentials: a client that opened ~10,500 and kept them idle used up the process's
descriptors, and nobody's request was answered any more. So the proxy bounds what one
client (one address) may hold open, what all may hold together, and how long a connection
may stay idle; it raises its own descriptor limit to fit those bounds. A connection over a
bound is closed at once, before anything reaches the store.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

# A learner's kernel holds a few connections (boto3 keeps up to 10 per client, MLflow
# uploads a big artifact over several): 256 leaves room for a room behind one NAT address.
MAX_PER_CLIENT = 256
MAX_TOTAL = 4096
# No byte either way for this long (s): the connection is closed. S3 clients reconnect.
IDLE_TIMEOUT_S = 120.0
# At most one line per client and this many seconds in the log about refused connections.
LOG_EVERY_S = 60.0


def _raise_descriptor_limit(wanted: int) -> None:
    try:
        import resource
    except ImportError:  # not on this platform: its own limit stands
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def forward(host: str, port: int, target_host: str, target_port: int, *, per_client: int = MAX_PER_CLIENT,
            total: int = MAX_TOTAL, idle_timeout: float = IDLE_TIMEOUT_S) -> None:
    """Carry every TCP connection to host:port on to target_host:target_port, byte for byte,
    within the bounds above (per client address, in all, idle time)."""
    # Two descriptors per connection, and some to spare for the server's own.
    _raise_descriptor_limit(2 * total + 64)
    open_by_client: dict[str, int] = {}
    logged: dict[str, float] = {}

    def refuse(client: str, why: str) -> None:
        now = time.monotonic()
        if now - logged.get(client, -LOG_EVERY_S) >= LOG_EVERY_S:
            logged[client] = now
            print(f"s3-proxy: refused a connection from {client}: {why}", flush=True)

    async def carry(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        peer = client_writer.get_extra_info("peername") or ("?",)
        client = str(peer[0])
        held = open_by_client.get(client, 0)
        if held >= per_client or sum(open_by_client.values()) >= total:
            refuse(client, f"{held} open from it (at most {per_client}), "
                           f"{sum(open_by_client.values())} in all (at most {total})")
            client_writer.transport.abort()
            return
        open_by_client[client] = held + 1
        try:
            await _carry(client_reader, client_writer)
        finally:
            open_by_client[client] -= 1
            if not open_by_client[client]:
                del open_by_client[client]

    async def _carry(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            store_reader, store_writer = await asyncio.wait_for(
                asyncio.open_connection(target_host, target_port), timeout=10)
        except (OSError, asyncio.TimeoutError):
            client_writer.close()
            return
        last_activity = [time.monotonic()]

        def close_both() -> None:
            client_writer.close()
            store_writer.close()

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    try:
                        data = await asyncio.wait_for(reader.read(1 << 16), timeout=idle_timeout)
                    except asyncio.TimeoutError:
                        # Idle this way; the connection is idle if the other way is too.
                        if time.monotonic() - last_activity[0] >= idle_timeout:
                            close_both()
                            return
                        continue
                    if not data:
                        break
                    last_activity[0] = time.monotonic()
                    writer.write(data)
                    await writer.drain()
                if writer.can_write_eof():
                    writer.write_eof()  # a half-close passes on: the other way may still be talking
            except OSError:  # one side broke off: end the connection both ways
                close_both()

        try:
            await asyncio.gather(pipe(client_reader, store_writer), pipe(store_reader, client_writer))
        finally:
            close_both()

    async def serve() -> None:
        async with await asyncio.start_server(carry, host, port, backlog=512) as server:
            await server.serve_forever()

    asyncio.run(serve())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lab_stack.proxy", description=__doc__.splitlines()[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("target_host")
    parser.add_argument("target_port", type=int)
    parser.add_argument("--per-client", type=int, default=MAX_PER_CLIENT,
                        help=f"connections one client address may hold open (default {MAX_PER_CLIENT})")
    parser.add_argument("--total", type=int, default=MAX_TOTAL,
                        help=f"connections all clients may hold open (default {MAX_TOTAL})")
    parser.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT_S,
                        help=f"seconds without a byte either way before a connection closes (default {IDLE_TIMEOUT_S:.0f})")
    args = parser.parse_args(argv)
    forward(args.host, args.port, args.target_host, args.target_port, per_client=args.per_client,
            total=args.total, idle_timeout=args.idle_timeout)


if __name__ == "__main__":
    main(sys.argv[1:])
