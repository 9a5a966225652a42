// Go's url.QueryEscape / url.QueryUnescape, which the upstream allocator and its clients use for job
// names in paths: space is `+`, every byte outside `[A-Za-z0-9-_.~]` is `%XX`.

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
const HEX = '0123456789ABCDEF';

/**
 * Go's url.QueryEscape over the UTF-8 bytes of `s`. Never throws: a lone UTF-16 surrogate (which has no UTF-8
 * form) is encoded as U+FFFD, the replacement character, as Node's UTF-8 encoder and Go's decoders of text
 * (JSON, YAML) turn it, so it is escaped as `%EF%BF%BD`.
 */
export function queryEscape(s: string): string {
  if (UNRESERVED.test(s)) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x5f ||
      b === 0x2e ||
      b === 0x7e
    )
      out += String.fromCharCode(b);
    else if (b === 0x20) out += '+';
    else out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Go's url.QueryUnescape: `+` is a space; undefined for a malformed `%` escape. */
export function queryUnescape(s: string): string | undefined {
  const bytes: number[] = [];
  const utf8 = Buffer.from(s, 'utf8');
  for (let i = 0; i < utf8.length; i++) {
    const b = utf8[i] as number;
    if (b === 0x2b) bytes.push(0x20);
    else if (b === 0x25) {
      const hex = utf8.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}
