"""What the benchmarks' fast fakes (magento_sink.py, orderflow_sink.py) share: the HTTP/1.1
request loop on raw asyncio streams (keep-alive, Content-Length bodies; a test fixture for the
broker's clients, not a general HTTP server) and the worker processes sharing one port.

A sink gives a `handle(head, body) -> reply bytes` per worker; the workers listen on the same
port (SO_REUSEPORT: the kernel spreads the broker's connections over them) until SIGTERM, then
each puts what it recorded on a queue, which stop() returns for the sink to merge.
"""

import asyncio
import multiprocessing
import os
import signal
import socket


def reply(status, body, reason=b"OK", content_type=b"application/xml"):
    return (b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
            % (status, reason, content_type, len(body))) + body


async def _serve_connection(reader, writer, handle, latency):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length) if length else b""
            if latency:
                await asyncio.sleep(latency)  # the worker keeps serving other connections
            writer.write(handle(head[:-4], body))
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def serve_until_sigterm(sock, handle, latency=0.0, limit=1 << 20):
    """Serves `sock` with `handle` (head without its blank line, body) until SIGTERM; `latency`
    seconds before each reply; `limit` bounds a request's head and body."""
    loop = asyncio.new_event_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))

    async def main():
        server = await asyncio.start_server(
            lambda r, w: _serve_connection(r, w, handle, latency), sock=sock, limit=limit)
        async with server:
            await stop
    loop.run_until_complete(main())


class WorkerProcesses:
    """`workers` processes on one loopback port, each running target(sock, *args, results)."""

    def __init__(self, workers):
        self.workers = workers
        self.port = None
        self.processes = []
        self.results = multiprocessing.Queue()

    def start(self, target, *args):
        for _ in range(self.workers):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(("127.0.0.1", self.port or 0))
            sock.listen(1024)
            self.port = sock.getsockname()[1]
            process = multiprocessing.Process(
                target=target, args=(sock,) + args + (self.results,), daemon=True)
            process.start()
            sock.close()
            self.processes.append(process)

    def stop(self, timeout):
        """Stops the workers; returns what each put on the queue (waiting `timeout` s for each)."""
        for process in self.processes:
            os.kill(process.pid, signal.SIGTERM)
        results = [self.results.get(timeout=timeout) for _ in self.processes]
        for process in self.processes:
            process.join(10)
        return results
