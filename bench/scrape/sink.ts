// Remote write sink for bench/scrape: accepts POST /api/v1/write (snappy + protobuf 1.0), counts
// series and samples and records how late each request's newest sample arrived (now - sample
// time). GET /stats -> JSON; POST /reset zeroes the counts. Answers 204 like a store would.
// usage: node dist/bench/scrape/sink.js
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeWriteRequest } from '../../src/prometheus/remotewrite/proto.js';
import { snappyDecompress } from '../../src/prometheus/remotewrite/snappy.js';

let samples = 0;
let requests = 0;
let bytes = 0;
let errors = 0;
let lags: number[] = [];
const names = new Set<string>();

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ samples, requests, bytes, errors, lags, names: names.size }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    samples = 0;
    requests = 0;
    bytes = 0;
    errors = 0;
    lags = [];
    res.writeHead(204).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    try {
      const wr = decodeWriteRequest(snappyDecompress(body, 512 * 1024 * 1024), { maxElements: 100_000_000 });
      let newest = 0;
      for (const ts of wr.timeseries) {
        samples += ts.samples.length;
        for (const s of ts.samples) if (s.timestampMs > newest) newest = s.timestampMs;
        if (names.size < 1000) for (const l of ts.labels) if (l.name === '__name__') names.add(l.value);
      }
      requests++;
      bytes += body.length;
      if (newest > 0 && lags.length < 1_000_000) lags.push(Date.now() - newest);
      res.writeHead(204).end();
    } catch (err) {
      errors++;
      res.writeHead(400).end(String(err));
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
