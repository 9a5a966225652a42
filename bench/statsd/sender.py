#!/usr/bin/env python3
# StatsD load generator for bench/statsd: sends pre-built UDP datagrams to 127.0.0.1:PORT at a fixed
# rate for a fixed time, paced in 1 ms ticks. Python's socket.send costs ~2 us per datagram here,
# well below Node's dgram (~10 us), so the sender is not what limits the receiver.
# usage: sender.py PORT RATE_DATAGRAMS_PER_S SECONDS LINES_PER_DATAGRAM NAMES
# prints one JSON line: {"sent": datagrams, "lines": lines, "elapsed": seconds}
import json
import socket
import sys
import time

port, rate, secs, per, names = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
payloads = []
k = 0
for _ in range(names):
    lines = []
    for _ in range(per):
        lines.append('bench.c%d:1|c' % (k % names))
        k += 1
    payloads.append('\n'.join(lines).encode())
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(('127.0.0.1', port))
send = s.send
n = len(payloads)
total = int(rate * secs)
sent = 0
errors = 0
t0 = time.perf_counter()
while sent < total:
    due = min(total, int((time.perf_counter() - t0) * rate) + 1)
    while sent < due:
        try:
            send(payloads[sent % n])
        except OSError:
            errors += 1
        sent += 1
    if sent < total:
        lag = sent / rate - (time.perf_counter() - t0)
        if lag > 0.0005:
            time.sleep(0.001)
elapsed = time.perf_counter() - t0
print(json.dumps({'sent': sent - errors, 'lines': (sent - errors) * per, 'elapsed': elapsed, 'sendErrors': errors}))
