// A JSON parser that differs from JSON.parse in one way: integer literals beyond 2^53 become
// bigint, so 64-bit integers sent as JSON numbers keep every digit. It runs only when the fast
// path (JSON.parse) met such a number in an integer field.

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new SyntaxError(`${what} in JSON at position ${this.pos}`);
  }

  space(): void {
    const t = this.text;
    let c = t.charCodeAt(this.pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(++this.pos);
  }

  value(): unknown {
    this.space();
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    for (const [word, v] of WORDS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail(Number.isNaN(c) ? 'Unexpected end' : 'Unexpected token');
  }

  object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail('Expected a property name');
      const key = this.string();
      this.space();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail("Expected ':'");
      this.pos++;
      const v = this.value();
      // Like JSON.parse: own data property, even for "__proto__".
      Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
      this.space();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x7d) return out;
      if (c !== 0x2c) this.fail("Expected ',' or '}'");
    }
  }

  array(): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    this.space();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.text.charCodeAt(this.pos++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) this.fail("Expected ',' or ']'");
    }
  }

  string(): string {
    const t = this.text;
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      const c = t.charCodeAt(i);
      if (Number.isNaN(c)) this.fail('Unterminated string');
      if (c === 0x22) break;
      i += c === 0x5c ? 2 : 1;
    }
    this.pos = i + 1;
    // Escapes and control characters are JSON.parse's business.
    return JSON.parse(t.slice(start, i + 1)) as string;
  }

  number(): number | bigint {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m === null) return this.fail('Invalid number');
    const lit = m[0];
    this.pos += lit.length;
    const n = Number(lit);
    if (m[1] === undefined && !Number.isSafeInteger(n)) return BigInt(lit);
    return n;
  }
}

const WORDS: readonly (readonly [string, unknown])[] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/** Group 1 is set when the literal has a fraction or exponent. */
const NUMBER = /-?(?:0|[1-9]\d*)((?:\.\d+)?(?:[eE][+-]?\d+)|\.\d+)?/y;

export function parseLossless(text: string): unknown {
  const p = new Parser(text);
  const v = p.value();
  p.space();
  if (p.pos < text.length) p.fail('Unexpected non-whitespace character after JSON');
  return v;
}
