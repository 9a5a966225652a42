// Hand-assembled protobuf bytes for tests that need exact or deliberately odd wire input.
export type Bytes = number[];

export function varint(v: number | bigint): Bytes {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: Bytes = [];
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return out;
}

export function key(field: number, wireType: number): Bytes {
  return varint((field << 3) | wireType);
}

export function varintField(field: number, v: number | bigint): Bytes {
  return [...key(field, 0), ...varint(v)];
}

export function fixed64Field(field: number, v: bigint): Bytes {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return [...key(field, 1), ...b];
}

export function doubleField(field: number, v: number): Bytes {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return [...key(field, 1), ...b];
}

export function fixed32Field(field: number, v: number): Bytes {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return [...key(field, 5), ...b];
}

export function lenField(field: number, ...parts: Bytes[]): Bytes {
  const body = parts.flat();
  return [...key(field, 2), ...varint(body.length), ...body];
}

export function strField(field: number, s: string): Bytes {
  return lenField(field, [...Buffer.from(s, 'utf8')]);
}

export function bytesOf(...parts: Bytes[]): Uint8Array {
  return new Uint8Array(parts.flat());
}

/** A span inside ExportTraceServiceRequest > ResourceSpans > ScopeSpans. */
export function traceRequestWithSpans(...spans: Bytes[]): Uint8Array {
  return bytesOf(lenField(1, lenField(2, ...spans.map((s) => lenField(2, s)))));
}
