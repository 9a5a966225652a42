// Robustness: truncated and mutated input yields a DecodeError or a value, never another
// exception or a hang; the validating scan and the decoder always agree.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countItems } from './batch.js';
import { DecodeError } from './errors.js';
import { prng, realisticLogs, realisticMetrics, realisticTraces } from './gen.js';
import { requestFromJson, requestToJson } from './json/index.js';
import { type RequestBySignal, SIGNALS, type Signal } from './model.js';
import { decodeRequest, encodeRequest, scanRequest } from './proto/index.js';
import { sdkItems, sdkProto } from './testdata/sdk.js';
import { hexOf } from './testdata/util.js';

type Outcome = { ok: true; value: RequestBySignal[Signal] } | { ok: false; error: DecodeError };

function attempt(fn: () => RequestBySignal[Signal]): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e };
    throw e;
  }
}

function scanOutcome(signal: Signal, bytes: Uint8Array): number | DecodeError {
  try {
    return scanRequest(signal, bytes);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
}

/** Decodes and scans `bytes`; both must agree, and a decoded value must re-encode stably. */
function checkProto(signal: Signal, bytes: Uint8Array): boolean {
  const decoded = attempt(() => decodeRequest(signal, bytes));
  const scanned = scanOutcome(signal, bytes);
  if (!decoded.ok) {
    assert.ok(scanned instanceof DecodeError, `scan accepted what decode rejected: ${decoded.error.message}`);
    assert.equal(scanned.message, decoded.error.message);
    return false;
  }
  assert.equal(scanned, countItems(signal, decoded.value));
  const again = encodeRequest(signal, decoded.value);
  assert.deepStrictEqual(decodeRequest(signal, again), decoded.value);
  return true;
}

function goldenRequests(): Record<Signal, RequestBySignal[Signal]> {
  return { traces: realisticTraces(8, 11), metrics: realisticMetrics(40, 12), logs: realisticLogs(10, 13) };
}

describe('malformed protobuf input', () => {
  for (const signal of SIGNALS) {
    it(`${signal}: truncation at every offset of a real request`, async () => {
      for (const bytes of [encodeRequest(signal, goldenRequests()[signal]), sdkProto(signal, await sdkItems(signal))]) {
        let rejected = 0;
        for (let n = 0; n < bytes.length; n++) {
          if (!checkProto(signal, bytes.subarray(0, n))) rejected++;
        }
        // Most prefixes cut a message in half; a few end exactly on a field boundary.
        assert.ok(rejected > bytes.length * 0.8, `${rejected} of ${bytes.length} prefixes rejected`);
      }
    });

    it(`${signal}: 2,000 seeded mutations of a golden request`, () => {
      const golden = encodeRequest(signal, goldenRequests()[signal]);
      const rand = prng(0x5eed + golden.length);
      const int = (n: number) => Math.floor(rand() * n);
      let accepted = 0;
      for (let i = 0; i < 2000; i++) {
        const bytes = Buffer.from(golden);
        let out: Uint8Array = bytes;
        const at = int(bytes.length);
        switch (i % 7) {
          case 0:
            bytes[at] = bytes[at]! ^ (1 << int(8));
            break;
          case 1:
            bytes[at] = int(256);
            break;
          case 2:
            out = Buffer.concat([bytes.subarray(0, at), Buffer.from([int(256), int(256)]), bytes.subarray(at)]);
            break;
          case 3:
            out = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + int(8)))]);
            break;
          case 4:
            out = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + int(40)), bytes.subarray(at)]);
            break;
          case 5:
            bytes.fill(0xff, at, Math.min(bytes.length, at + 1 + int(12)));
            break;
          default:
            for (let k = 0; k < 4; k++) bytes[int(bytes.length)] = int(256);
        }
        if (checkProto(signal, out)) accepted++;
      }
      assert.ok(accepted > 0 && accepted < 2000, `${accepted} mutants accepted`);
    });
  }

  it('the error names a byte offset inside the input', () => {
    const bytes = encodeRequest('traces', realisticTraces(3, 5));
    for (let n = 1; n < bytes.length; n += 7) {
      const out = attempt(() => decodeRequest('traces', bytes.subarray(0, n)));
      if (out.ok) continue;
      const offset = Number(/byte (\d+)$/.exec(out.error.message)?.[1]);
      assert.ok(offset >= 0 && offset <= n, `${out.error.message} for ${n} bytes: ${hexOf(bytes.subarray(0, 4))}`);
    }
  });
});

describe('malformed JSON input', () => {
  for (const signal of SIGNALS) {
    it(`${signal}: 1,000 seeded mutations of a golden request`, () => {
      const golden = requestToJson(signal, goldenRequests()[signal]);
      const rand = prng(0x15 + golden.length);
      const int = (n: number) => Math.floor(rand() * n);
      const junk = ['"', '{', '}', '[', ']', ',', ':', '0', '-', 'e', 'null', 'true', '"x"', '1e400', '\\', '\u00e9'];
      let accepted = 0;
      for (let i = 0; i < 1000; i++) {
        const at = int(golden.length);
        const cut = i % 3 === 0 ? int(6) : 0;
        const text = golden.slice(0, at) + junk[int(junk.length)] + golden.slice(at + cut);
        const out = attempt(() => requestFromJson(signal, text));
        if (out.ok) accepted++;
      }
      assert.ok(accepted < 1000);
    });

    it(`${signal}: every value replaced by a value of each other JSON type`, () => {
      const golden = JSON.parse(requestToJson(signal, goldenRequests()[signal])) as unknown;
      const replacements: unknown[] = [null, true, 1.5, -1, '', 'x', [], {}, [1], { a: 1 }, '18446744073709551616'];
      const paths: (string | number)[][] = [];
      const walk = (v: unknown, path: (string | number)[]) => {
        paths.push(path);
        if (Array.isArray(v)) {
          for (const [i, x] of v.entries()) walk(x, [...path, i]);
        } else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
      };
      walk(golden, []);
      const rand = prng(0xbad);
      for (let i = 0; i < 600; i++) {
        const path = paths[Math.floor(rand() * paths.length)]!;
        const copy = JSON.parse(JSON.stringify(golden)) as Record<string | number, unknown>;
        const replacement = replacements[i % replacements.length];
        let target: Record<string | number, unknown> = copy;
        for (const seg of path.slice(0, -1)) target = target[seg] as Record<string | number, unknown>;
        const last = path[path.length - 1];
        if (last !== undefined) target[last] = replacement;
        const text = JSON.stringify(last === undefined ? replacement : copy);
        const out = attempt(() => requestFromJson(signal, text));
        if (!out.ok && last !== undefined) {
          assert.ok(out.error.where.length > 0, out.error.message);
        }
      }
    });
  }
});
