// Go's url.QueryEscape / url.QueryUnescape, which the upstream allocator and its clients use for job
// names in paths: space is `+`, every byte outside `[A-Za-z0-9-_.~]` is `%XX`.

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
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
