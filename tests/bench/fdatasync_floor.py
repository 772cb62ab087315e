#!/usr/bin/env python3
"""The physical floor of a durable ack on this disk: one fdatasync.

Every acked message waits for at least one fdatasync of the WAL that holds it, so a sequential
sender's ack latency cannot go below the latency of a bare fdatasync on the same disk. This
appends 4 KiB blocks to a file in DIR (the benchmark's data directory), fdatasyncing after each,
for COUNT appends or SECONDS, whichever ends first, and prints p50 and p99 in milliseconds.

    fdatasync_floor.py DIR [COUNT] [SECONDS]
"""
import os
import sys
import time


def main():
    directory = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
    path = os.path.join(directory, "fdatasync-floor")
    block = os.urandom(4096)
    samples = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        stop = time.monotonic() + seconds
        while len(samples) < count and time.monotonic() < stop:
            start = time.perf_counter_ns()
            os.write(fd, block)
            os.fdatasync(fd)
            samples.append(time.perf_counter_ns() - start)
    finally:
        os.close(fd)
        os.unlink(path)
    samples.sort()

    def pick(p):
        return samples[min(len(samples) - 1, int(p * len(samples)))] / 1e6

    print("fdatasync floor: %d appends of 4 KiB, p50 %.3f ms p99 %.3f ms"
          % (len(samples), pick(0.50), pick(0.99)))


if __name__ == "__main__":
    main()
