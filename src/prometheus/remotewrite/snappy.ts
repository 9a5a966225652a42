// Snappy block format (not the framed/stream format) for remote write bodies, with the
// decompressed size checked against a limit before anything is decompressed: the block starts
// with the uncompressed length as a uvarint.
import snappy from 'snappy';

export class SnappyError extends Error {
  constructor(
    message: string,
    /** `too_large` when the declared size is over the limit, `corrupt` otherwise. */
    readonly kind: 'too_large' | 'corrupt',
  ) {
    super(message);
    this.name = 'SnappyError';
  }
}

/** The uncompressed length a snappy block declares, or undefined when the header is malformed. */
export function snappyDeclaredLength(block: Uint8Array): number | undefined {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i] as number;
    v += (b & 0x7f) * mul;
    if (b < 0x80) return v <= 0xffffffff ? v : undefined;
    mul *= 0x80;
  }
  return undefined;
}

export function snappyCompress(raw: Uint8Array): Buffer {
  return snappy.compressSync(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
}

/** Decompress a snappy block of at most `maxBytes` uncompressed bytes. */
export function snappyDecompress(block: Uint8Array, maxBytes: number): Buffer {
  const n = snappyDeclaredLength(block);
  if (n === undefined) throw new SnappyError('snappy: corrupt input (bad length header)', 'corrupt');
  if (n > maxBytes) {
    throw new SnappyError(
      `snappy: declared uncompressed size ${n} bytes is over the limit of ${maxBytes} bytes`,
      'too_large',
    );
  }
  // A block expands at most ~ 64x (a 2-byte copy element yields up to 64 bytes); a declared
  // length far beyond that is a lie that the native decoder would allocate for.
  if (n > block.length * 64 + 64) throw new SnappyError('snappy: corrupt input (length header too large)', 'corrupt');
  let out: Buffer | string;
  try {
    out = snappy.uncompressSync(Buffer.from(block.buffer, block.byteOffset, block.byteLength), { asBuffer: true });
  } catch (err) {
    throw new SnappyError(err instanceof Error ? err.message : String(err), 'corrupt');
  }
  if (typeof out === 'string') return Buffer.from(out);
  return out;
}
