import { stringify as yamlStringify } from 'yaml';
import type { AnyFactory, Stability } from '../component/component.js';
import type { Distribution } from '../config/index.js';
import { SIGNALS } from '../pdata/model.js';

interface ComponentRow {
  readonly kind: AnyFactory['kind'];
  readonly type: string;
  readonly description: string;
  readonly stability: Readonly<Record<string, Stability>>;
}

export function componentRows(dist: Distribution): ComponentRow[] {
  const all: AnyFactory[] = [...dist.receivers, ...dist.processors, ...dist.exporters, ...dist.extensions];
  return all.map((f) => {
    const stability: Record<string, Stability> = {};
    if (f.kind === 'extension') stability.extension = f.stability;
    else for (const s of SIGNALS) if (f.stability[s] !== undefined) stability[s] = f.stability[s] as Stability;
    return { kind: f.kind, type: f.type, description: f.description, stability };
  });
}

export function componentsReport(dist: Distribution, format: 'text' | 'yaml' | 'json'): string {
  const rows = componentRows(dist);
  switch (format) {
    case 'json':
      return `${JSON.stringify(rows, null, 2)}\n`;
    case 'yaml':
      return yamlStringify(rows);
    case 'text': {
      const lines = rows.map((r) => {
        const stab = Object.entries(r.stability)
          .map(([s, v]) => `${s}:${v}`)
          .join(' ');
        return [r.kind.padEnd(10), r.type.padEnd(16), stab.padEnd(44), r.description];
      });
      const header = ['KIND'.padEnd(10), 'TYPE'.padEnd(16), 'SIGNALS:STABILITY'.padEnd(44), 'DESCRIPTION'];
      return `${[header, ...lines].map((l) => l.join(' ').trimEnd()).join('\n')}\n`;
    }
    default:
      throw new Error(`unknown format ${String(format)}`);
  }
}
