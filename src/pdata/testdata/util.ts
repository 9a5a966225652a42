// Small helpers shared by the pdata tests.
import { readFileSync } from 'node:fs';
import { DecodeError } from '../errors.js';

/** A file in src/pdata/testdata (tests run from dist/src/pdata, the data stays in src). */
export function testdata(name: string): Buffer {
  return readFileSync(new URL(`../../../../src/pdata/testdata/${name}`, import.meta.url));
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Runs fn and returns the DecodeError it throws (anything else fails the test). */
export function decodeErrorOf(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('expected a DecodeError, nothing was thrown');
}
