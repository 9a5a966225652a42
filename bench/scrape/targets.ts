// Static scrape targets for bench/scrape: one process serving `count` endpoints on consecutive
// free ports, each a fixed Prometheus text page of `series` series (counters, gauges and a
// classic histogram, the mix of a typical service). Pages are built once; every scrape gets the
// same bytes. Prints one JSON line {"ports":[...]} when ready; counts scrapes per port.
// usage: node dist/bench/scrape/targets.js <count> <series>
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const COUNT = Number(process.argv[2] ?? 50);
const SERIES = Number(process.argv[3] ?? 10_000);
const BOUNDS = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '+Inf'];

/** One endpoint's page: half counters, ~11% gauges, the rest histogram series (13 per label set). */
export function page(endpoint: number, series: number): { text: string; series: number } {
  const lines: string[] = [];
  let n = 0;
  const counters = Math.floor(series / 2);
  const histSets = Math.floor((series * 0.39) / (BOUNDS.length + 2));
  const gauges = series - counters - histSets * (BOUNDS.length + 2);
  lines.push('# HELP bench_requests_total Requests served.', '# TYPE bench_requests_total counter');
  for (let i = 0; i < counters; i++) {
    const v = (endpoint + 1) * 1000 + i * 7;
    lines.push(
      `bench_requests_total{route="/api/v1/items/${i % 100}",method="${i % 3 === 0 ? 'POST' : 'GET'}",code="${200 + (i % 5)}",shard="${i}"} ${v}`,
    );
    n++;
  }
  lines.push('# HELP bench_queue_depth Items queued.', '# TYPE bench_queue_depth gauge');
  for (let i = 0; i < gauges; i++) {
    lines.push(`bench_queue_depth{queue="q${i}",zone="z${i % 4}"} ${(i * 13) % 977}.5`);
    n++;
  }
  lines.push('# HELP bench_latency_seconds Request latency.', '# TYPE bench_latency_seconds histogram');
  for (let i = 0; i < histSets; i++) {
    const labels = `route="/api/v1/items/${i % 100}",set="${i}"`;
    let c = 0;
    for (const le of BOUNDS) {
      c += (i % 7) + 3;
      lines.push(`bench_latency_seconds_bucket{${labels},le="${le}"} ${c}`);
      n++;
    }
    lines.push(`bench_latency_seconds_sum{${labels}} ${(c * 0.137).toFixed(3)}`);
    lines.push(`bench_latency_seconds_count{${labels}} ${c}`);
    n += 2;
  }
  lines.push('');
  return { text: lines.join('\n'), series: n };
}

async function main(): Promise<void> {
  const ports: number[] = [];
  const scrapes = new Map<number, number>();
  let seriesPerPage = 0;
  for (let e = 0; e < COUNT; e++) {
    const p = page(e, SERIES);
    seriesPerPage = p.series;
    const body = Buffer.from(p.text);
    const server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      const port = (server.address() as AddressInfo).port;
      scrapes.set(port, (scrapes.get(port) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': String(body.length) });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    ports.push((server.address() as AddressInfo).port);
  }
  // A control endpoint: GET /scrapes -> total scrapes served so far.
  const control = http.createServer((_req, res) => {
    let total = 0;
    for (const v of scrapes.values()) total += v;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ scrapes: total }));
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', () => r()));
  process.stdout.write(
    `${JSON.stringify({ ports, control: (control.address() as AddressInfo).port, seriesPerPage })}\n`,
  );
}

if (process.argv[1]?.endsWith('targets.js')) void main();
