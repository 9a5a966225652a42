// Schema building blocks shared by component configs.
import { type TString, Type } from '@sinclair/typebox';

const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$|^0$/;
const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A Go-style duration string: `200ms`, `5s`, `1m30s`, `0`. */
export function Duration(description: string, defaultValue: string): TString {
  return Type.String({ pattern: DURATION_RE.source, format: 'duration', description, default: defaultValue });
}

/** Milliseconds of a duration string that passed the schema. */
export function durationMs(text: string): number {
  if (text === '0') return 0;
  if (!DURATION_RE.test(text)) throw new Error(`invalid duration "${text}"`);
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(m[1]) * (DURATION_UNIT_MS[m[2] as string] as number);
  }
  // Node timers fire at once past 2^31-1 ms (24.8 days): a longer duration means "that long".
  return Math.min(total, MAX_TIMER_MS);
}

/** 0-65535, without leading zeros beyond what people write. */
const PORT = '(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d{2}|6[0-4]\\d{3}|[1-5]\\d{4}|\\d{1,4})';

/** `host:port`; an empty host is refused (we bind 127.0.0.1 unless told otherwise). */
export function Endpoint(description: string, defaultValue: string): TString {
  return Type.String({
    pattern: `^(\\[[0-9a-fA-F:.]+\\]|[^:\\s]+):${PORT}$`,
    format: 'endpoint',
    description,
    default: defaultValue,
  });
}

export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(':');
  let host = endpoint.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(endpoint.slice(i + 1)) };
}
