// The scrape -> remote write work of one target without the network: parse a 10,000-series page,
// convert it (relabeling, start times, staleness), translate and encode it as a remote write
// request (snappy), for `rounds` scrapes of the same target. Prints CPU microseconds per sample
// (steady state, after two warm-up scrapes) and what that is in samples per CPU-second.
// usage: node dist/bench/scrape/pipeline.js [series=10000] [rounds=40]
import { RemoteWriteEncoder } from '../../src/exporters/prometheusremotewrite/exporter.js';
import { SeriesMemo } from '../../src/exporters/prometheusremotewrite/translate.js';
import type { ExportMetricsServiceRequest } from '../../src/pdata/model.js';
import { parseExposition } from '../../src/prometheus/textparse.js';
import { TargetConverter } from '../../src/receivers/prometheus/convert.js';
import { page } from './targets.js';

export interface PipelineCost {
  readonly usPerSample: number;
  readonly stages: { readonly parse: number; readonly convert: number; readonly encode: number };
}

export function measurePipeline(series: number, rounds: number): PipelineCost {
  const { text, series: n } = page(0, series);
  const conv = new TargetConverter(
    {
      job: 'bench',
      instance: '127.0.0.1:1',
      labels: [
        ['instance', '127.0.0.1:1'],
        ['job', 'bench'],
      ],
    },
    {
      honorLabels: false,
      honorTimestamps: true,
      metricRelabel: [],
      sampleLimit: 0,
      labelLimit: 0,
      labelNameLengthLimit: 0,
      labelValueLengthLimit: 0,
      externalLabels: {},
    },
  );
  const enc = new RemoteWriteEncoder({
    translate: {
      namespace: '',
      addSuffixes: true,
      externalLabels: [],
      resourceToTelemetry: false,
      targetInfo: false,
      exportCreated: false,
      sendMetadata: false,
      expoMode: 'native',
      classicBounds: [],
      memo: new SeriesMemo(),
    },
    maxBatchBytes: 3_000_000,
    cache: undefined,
  });
  const stage = { parse: 0, convert: 0, encode: 0 };
  let cpu = 0;
  for (let i = 0; i < rounds + 2; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const parsed = parseExposition(text, { openMetrics: false, seriesText: true, known: conv.knows });
    const t1 = performance.now();
    const r = conv.append(parsed.families, Date.now() + i * 5000);
    if (!r.ok) throw new Error(r.message);
    const t2 = performance.now();
    const req: ExportMetricsServiceRequest = {
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: 'bench' },
              { key: 'service.instance.id', value: '127.0.0.1:1' },
            ],
            droppedAttributesCount: 0,
          },
          scopeMetrics: [
            {
              scope: { name: 'bench', version: '', attributes: [], droppedAttributesCount: 0 },
              metrics: r.metrics,
              schemaUrl: '',
            },
          ],
          schemaUrl: '',
        },
      ],
    };
    enc.encode(req, Date.now());
    const t3 = performance.now();
    const c = process.cpuUsage(c0);
    if (i < 2) continue;
    cpu += c.user + c.system;
    stage.parse += t1 - t0;
    stage.convert += t2 - t1;
    stage.encode += t3 - t2;
  }
  const samples = n * rounds;
  return {
    usPerSample: cpu / samples,
    stages: {
      parse: (stage.parse * 1000) / samples,
      convert: (stage.convert * 1000) / samples,
      encode: (stage.encode * 1000) / samples,
    },
  };
}

if (process.argv[1]?.endsWith('pipeline.js')) {
  const r = measurePipeline(Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 40));
  process.stdout.write(
    `scrape -> remote write in one process: ${r.usPerSample.toFixed(2)} CPU-us/sample ` +
      `(${Math.round(1e6 / r.usPerSample).toLocaleString('en')} samples per CPU-second); ` +
      `wall us/sample: parse ${r.stages.parse.toFixed(2)}, convert ${r.stages.convert.toFixed(2)}, encode ${r.stages.encode.toFixed(2)}\n`,
  );
}
