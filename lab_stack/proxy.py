"""The s3-proxy service: `python -m lab_stack.proxy HOST PORT TARGET_HOST TARGET_PORT`.

A workshop's object store binds loopback (its other ports take writes from anyone); this
carries its S3 port alone to the room's address.
"""

from __future__ import annotations

import sys


def forward(host: str, port: int, target_host: str, target_port: int) -> None:
    """Carry every TCP connection to host:port on to target_host:target_port, byte for byte.

    The s3-proxy service: the store's S3 API on LAB_HOST while the store binds loopback.
    """
    import asyncio

    async def carry(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            store_reader, store_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(1 << 16):
                    writer.write(data)
                    await writer.drain()
                if writer.can_write_eof():
                    writer.write_eof()  # a half-close passes on: the other way may still be talking
            except OSError:  # one side broke off: end the connection both ways
                client_writer.close()
                store_writer.close()

        await asyncio.gather(pipe(client_reader, store_writer), pipe(store_reader, client_writer))
        client_writer.close()
        store_writer.close()

    async def serve() -> None:
        async with await asyncio.start_server(carry, host, port) as server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: python -m lab_stack.proxy HOST PORT TARGET_HOST TARGET_PORT")
    forward(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
