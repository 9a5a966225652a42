/**
 * Prometheus relabeling (`relabel_configs` / `metric_relabel_configs`) as pure functions, following
 * prometheus/prometheus `model/relabel/relabel.go`:
 *
 * - {@link compileRelabelConfigs} validates the YAML shape (after YAML parsing) and applies Prometheus's defaults
 *   (`separator: ";"`, `regex: "(.*)"`, `replacement: "$1"`, `action: replace`). Each config gets at most one problem
 *   (Go's UnmarshalYAML/Validate stop at the first error); messages mirror Prometheus's wording.
 * - {@link relabel} applies compiled configs in order; `undefined` means the label set was dropped.
 *
 * Semantics reproduced from relabel.go: regexes are anchored as `^(?:<regex>)$`; a missing source label reads as
 * `""`; setting a label to `""` deletes it (labels.Builder.Set); `replace` does nothing when the regex does not match,
 * skips the config when the expanded `target_label` is not a valid label name, and deletes the target when the
 * expanded replacement is empty; `hashmod` is md5(joined values), bytes 8..15 as a big-endian uint64, mod modulus;
 * `labelmap` rewrites label NAMES over a snapshot of the labels taken before the step; `$1`, `${1}`, `$name`,
 * `${name}` and `$$` follow Go's regexp.Expand (`$1x` names the group `1x`, which expands to `""`; a malformed `$`
 * stays literal).
 *
 * Regex engine: JS RegExp (flag `u`) stands in for Go's RE2. The pattern is translated where cheap so that it means
 * what RE2 means: `.` excludes only `\n` (unless `(?s)`), `\s`/`\S` are RE2's ASCII `[\t\n\f\r ]` (outside classes),
 * `\z`, `\A`, `\Q...\E`, `\pL`, `(?P<name>`, POSIX `[[:alpha:]]` classes, literal `{`/`}` and leading `(?i)`/`(?s)`/
 * `(?m)` flags are supported. Constructs RE2 rejects are rejected: backreferences (`\1`, `\k<..>`), lookaround,
 * repeat counts over 1000. Not emulated (rejected): mid-pattern or scoped flag groups (`(?i:...)`, `a(?i)b`) and
 * the `U` flag. Remaining known differences: `\S` inside a class and `$`/`^` with `(?m)` use JS semantics; case
 * folding and label ordering (UTF-16 code units vs. UTF-8 bytes) may differ for non-ASCII text.
 *
 * Label names are validated with the legacy scheme `[a-zA-Z_][a-zA-Z0-9_]*` (Prometheus 3's UTF-8 name validation
 * scheme is not modelled).
 */
import { createHash } from 'node:crypto';

export const RELABEL_ACTIONS = [
  'replace',
  'keep',
  'drop',
  'keepequal',
  'dropequal',
  'hashmod',
  'labelmap',
  'labeldrop',
  'labelkeep',
  'lowercase',
  'uppercase',
] as const;

export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

export interface RelabelConfig {
  sourceLabels: string[];
  separator: string;
  /** The regex as written (default `(.*)`), without the anchoring. */
  regexSource: string;
  /** Compiled, anchored `^(?:...)$` regex. */
  regex: RegExp;
  /** 0n when not set. */
  modulus: bigint;
  targetLabel: string;
  replacement: string;
  action: RelabelAction;
}

export interface RelabelProblem {
  /** Index of the offending entry in the input array. */
  index: number;
  message: string;
}

export type LabelPairs = [name: string, value: string][];

const DEFAULT_SEPARATOR = ';';
const DEFAULT_REGEX = '(.*)';
const DEFAULT_REPLACEMENT = '$1';

const KNOWN_FIELDS = new Set([
  'source_labels',
  'separator',
  'regex',
  'modulus',
  'target_label',
  'replacement',
  'action',
]);

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/**
 * Same language as relabel.go's `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`, rewritten so that JS backtracking
 * stays linear: a first unit that is a letter/underscore or a `$` reference, then word characters or references.
 */
const RELABEL_TARGET_RE = /^(?:[a-zA-Z_]|\$(?:\{\w+\}|\w))(?:\w|\$(?:\{\w+\}|\w))*$/;

export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name);
}

/** Whether `s` is acceptable as a `target_label` (replace) or `replacement` (labelmap) template. */
export function isValidRelabelTarget(s: string): boolean {
  return RELABEL_TARGET_RE.test(s);
}

class ConfigError extends Error {}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(obj: Record<string, unknown>, key: string, def: string): string {
  const v = obj[key];
  if (v === undefined || v === null) return def;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ConfigError(`'${key}' must be a string`);
}

function compileOne(raw: unknown): RelabelConfig {
  if (!isRecord(raw)) throw new ConfigError('relabel config must be a mapping');
  for (const key of Object.keys(raw)) {
    if (!KNOWN_FIELDS.has(key)) throw new ConfigError(`field ${key} not found in type relabel.plain`);
  }

  let sourceLabels: string[] = [];
  let sourceLabelsSet = false;
  const sl = raw['source_labels'];
  if (sl !== undefined && sl !== null) {
    if (!Array.isArray(sl)) throw new ConfigError(`'source_labels' must be a list of label names`);
    sourceLabelsSet = true;
    sourceLabels = sl.map((n: unknown) => {
      if (typeof n !== 'string') throw new ConfigError(`'source_labels' must be a list of label names`);
      if (!isValidLabelName(n)) throw new ConfigError(`${goQuote(n)} is not a valid label name`);
      return n;
    });
  }

  const separator = optString(raw, 'separator', DEFAULT_SEPARATOR);

  let regexSource = DEFAULT_REGEX;
  let regexIsDefault = true;
  if ('regex' in raw && raw['regex'] !== undefined) {
    regexIsDefault = false;
    // relabel.go: a nil Regexp after unmarshalling becomes MustNewRegexp("").
    regexSource = raw['regex'] === null ? '' : optString(raw, 'regex', '');
  }
  const regex = compileAnchoredRegex(regexSource);

  let modulus = 0n;
  const mv = raw['modulus'];
  if (mv !== undefined && mv !== null) {
    if (typeof mv === 'bigint' && mv >= 0n && mv < 1n << 64n) modulus = mv;
    else if (typeof mv === 'number' && Number.isSafeInteger(mv) && mv >= 0) modulus = BigInt(mv);
    else throw new ConfigError(`'modulus' must be a non-negative integer`);
  }

  const targetLabel = optString(raw, 'target_label', '');
  const replacement = optString(raw, 'replacement', DEFAULT_REPLACEMENT);

  let action: RelabelAction = 'replace';
  const av = raw['action'];
  if (av !== undefined && av !== null) {
    if (typeof av !== 'string') throw new ConfigError(`unknown relabel action ${goQuote(String(av))}`);
    const lower = av.toLowerCase();
    const found = RELABEL_ACTIONS.find((a) => a === lower);
    if (found === undefined) throw new ConfigError(`unknown relabel action ${goQuote(av)}`);
    action = found;
  }

  validate({ action, modulus, targetLabel, replacement, separator, regexIsDefault, sourceLabelsSet });
  return { sourceLabels, separator, regexSource, regex, modulus, targetLabel, replacement, action };
}

interface ValidateInput {
  action: RelabelAction;
  modulus: bigint;
  targetLabel: string;
  replacement: string;
  separator: string;
  regexIsDefault: boolean;
  sourceLabelsSet: boolean;
}

/** Mirrors Config.Validate in relabel.go, check for check and in the same order. */
function validate(c: ValidateInput): void {
  const a = c.action;
  const fail = (msg: string): never => {
    throw new ConfigError(msg);
  };
  if (c.modulus === 0n && a === 'hashmod') fail('relabel configuration for hashmod requires non-zero modulus');
  const needsTarget =
    a === 'replace' ||
    a === 'hashmod' ||
    a === 'lowercase' ||
    a === 'uppercase' ||
    a === 'keepequal' ||
    a === 'dropequal';
  if (needsTarget && c.targetLabel === '') fail(`relabel configuration for ${a} action requires 'target_label' value`);
  const invalidTarget = `${goQuote(c.targetLabel)} is invalid 'target_label' for ${a} action`;
  if (a === 'replace' && !c.targetLabel.includes('$') && !isValidLabelName(c.targetLabel)) fail(invalidTarget);
  if (a === 'replace' && c.targetLabel.includes('$') && !isValidRelabelTarget(c.targetLabel)) fail(invalidTarget);
  const caseOrEqual = a === 'lowercase' || a === 'uppercase' || a === 'keepequal' || a === 'dropequal';
  if (caseOrEqual && !isValidLabelName(c.targetLabel)) fail(invalidTarget);
  if (caseOrEqual && c.replacement !== DEFAULT_REPLACEMENT) fail(`'replacement' can not be set for ${a} action`);
  if (a === 'labelmap' && !isValidRelabelTarget(c.replacement)) {
    fail(`${goQuote(c.replacement)} is invalid 'replacement' for ${a} action`);
  }
  if (a === 'hashmod' && !isValidLabelName(c.targetLabel)) fail(invalidTarget);
  if (a === 'keepequal' || a === 'dropequal') {
    if (
      !c.regexIsDefault ||
      c.modulus !== 0n ||
      c.separator !== DEFAULT_SEPARATOR ||
      c.replacement !== DEFAULT_REPLACEMENT
    ) {
      fail(`${a} action requires only 'source_labels' and \`target_label\`, and no other fields`);
    }
  }
  if (a === 'labeldrop' || a === 'labelkeep') {
    if (
      c.sourceLabelsSet ||
      c.targetLabel !== '' ||
      c.modulus !== 0n ||
      c.separator !== DEFAULT_SEPARATOR ||
      c.replacement !== DEFAULT_REPLACEMENT
    ) {
      fail(`${a} action requires only 'regex', and no other fields`);
    }
  }
}

/** Validates and compiles raw (YAML-parsed) relabel configs. Invalid entries are reported and left out. */
export function compileRelabelConfigs(raw: unknown[]): { configs: RelabelConfig[]; problems: RelabelProblem[] } {
  const configs: RelabelConfig[] = [];
  const problems: RelabelProblem[] = [];
  raw.forEach((entry, index) => {
    try {
      configs.push(compileOne(entry));
    } catch (err) {
      if (err instanceof ConfigError) problems.push({ index, message: err.message });
      else throw err;
    }
  });
  return { configs, problems };
}

// ---------------------------------------------------------------------------------------------------------------
// RE2 -> JS RegExp translation

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const RE2_SPACE = '\\t\\n\\f\\r ';

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, (c) => (c === '-' ? '\\x2d' : `\\${c}`));
}

/** Translates an RE2 pattern into JS RegExp source + flags, or throws ConfigError for unsupported constructs. */
export function translateRe2(pattern: string): { source: string; flags: string } {
  let p = pattern;
  let dotAll = false;
  const flags = new Set<string>(['u']);
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    for (const f of lead[1] ?? '') {
      if (f === 'U') throw new ConfigError('error parsing regexp: the (?U) flag is not supported');
      if (f === 's') dotAll = true;
      else flags.add(f);
    }
    p = p.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  let i = 0;
  const unsupported = (what: string): never => {
    throw new ConfigError(`error parsing regexp: ${what} is not supported: ${goQuote(pattern)}`);
  };
  while (i < p.length) {
    const c = p[i] as string;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw new ConfigError(`error parsing regexp: trailing backslash at end of expression`);
      if (n >= '1' && n <= '9') unsupported(`backreference \\${n}`);
      if (n === 'k') unsupported('backreference \\k');
      if (n === 'Q') {
        const end = p.indexOf('\\E', i + 2);
        const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
        out += inClass ? lit.replace(/[\\\]^-]/g, (x) => `\\${x}`) : `(?:${escapeLiteral(lit)})`;
        i = end < 0 ? p.length : end + 2;
        continue;
      }
      if (!inClass && n === 'z') out += '(?![\\s\\S])';
      else if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (n === 's') out += inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      else if (n === 'S' && !inClass) out += `[^${RE2_SPACE}]`;
      else if ((n === 'p' || n === 'P') && p[i + 2] !== undefined && p[i + 2] !== '{') {
        out += `\\${n}{${p[i + 2]}}`;
        i += 3;
        continue;
      } else if (n === 'x' && p[i + 2] === '{') {
        out += '\\u{';
        i += 3;
        continue;
      } else if (n === 'a') {
        out += '\\x07';
      } else if (n < '\x80' && !/[0-9A-Za-z]/.test(n)) {
        // RE2 allows escaping any ASCII punctuation; the JS `u` flag only allows syntax characters.
        out += `\\x${n.charCodeAt(0).toString(16).padStart(2, '0')}`;
      } else out += `\\${n}`;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && p[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
        const cls = m ? POSIX_CLASSES[m[2] ?? ''] : undefined;
        if (m && cls !== undefined) {
          if (m[1] === '^') unsupported('negated POSIX class');
          out += cls;
          i += m[0].length;
          continue;
        }
      }
      if (c === '[') out += '\\[';
      else {
        if (c === ']') inClass = false;
        out += c;
      }
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += '[';
      i++;
      if (p[i] === '^') {
        out += '^';
        i++;
      }
      // RE2: a ']' right after '[' or '[^' is a literal.
      if (p[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '.') {
      out += dotAll ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
      if (m) {
        if (Number(m[1]) > 1000 || (m[3] !== undefined && m[3] !== '' && Number(m[3]) > 1000)) {
          throw new ConfigError(`error parsing regexp: invalid repeat count: \`${m[0]}\``);
        }
        out += m[0];
        i += m[0].length;
      } else {
        out += '\\{';
        i++;
      }
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      continue;
    }
    if (c === '(' && p[i + 1] === '?') {
      const rest = p.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 3;
        continue;
      }
      if (rest.startsWith('<') && rest[1] !== '=' && rest[1] !== '!') {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<')) unsupported('lookaround');
      unsupported('a flag group other than a leading (?flags)');
    }
    out += c;
    i++;
  }
  return { source: out, flags: [...flags].sort().join('') };
}

function compileAnchoredRegex(pattern: string): RegExp {
  const { source, flags } = translateRe2(pattern);
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`error parsing regexp: ${msg}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Go regexp.Expand

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Go's `regexp.Regexp.ExpandString` over a JS match. */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  if (template === '$1') return m[1] ?? '';
  let out = '';
  let t = template;
  for (;;) {
    const d = t.indexOf('$');
    if (d < 0) break;
    out += t.slice(0, d);
    t = t.slice(d + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ex = extractName(t);
    if (ex === undefined) {
      out += '$';
      continue;
    }
    t = ex.rest;
    if (ex.num >= 0) {
      out += m[ex.num] ?? '';
    } else {
      out += m.groups?.[ex.name] ?? '';
    }
  }
  return out + t;
}

function extractName(s: string): { name: string; num: number; rest: string } | undefined {
  let str = s;
  let brace = false;
  if (str.startsWith('{')) {
    brace = true;
    str = str.slice(1);
  }
  let i = 0;
  for (const ch of str) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === 0) return undefined;
  const name = str.slice(0, i);
  if (brace) {
    if (str[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const code = name.charCodeAt(k);
    if (code < 48 || code > 57 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (code - 48);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: str.slice(i) };
}

// ---------------------------------------------------------------------------------------------------------------
// Processing

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Models labels.Builder: base labels first (sorted), then labels set during relabeling in the order they were first
 * set. The order matters only for labelmap when two names map to the same target (the later one wins).
 *
 * The base is a pair of parallel arrays sorted by name, read-only here (no copy): a base label that is deleted is
 * marked, a base label that is set moves to the `added` map (as a Map that deletes and re-inserts would), so the
 * common case (a few rules over tens of labels) allocates only what it adds.
 */
class Builder {
  private readonly names: readonly string[];
  private readonly values: readonly string[];
  /** Base indexes deleted or moved to `added`; allocated on first use. */
  private gone: Uint8Array | undefined;
  private goneCount = 0;
  /** Labels set during relabeling, in the order they were (re-)inserted. */
  private added: Map<string, string> | undefined;

  constructor(names: readonly string[], values: readonly string[]) {
    this.names = names;
    this.values = values;
  }

  /** Index of `name` among the base names, or -1. */
  private find(name: string): number {
    const names = this.names;
    let lo = 0;
    let hi = names.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const n = names[mid] as string;
      if (n === name) return mid;
      if (n < name) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private drop(i: number): void {
    if (this.gone === undefined) this.gone = new Uint8Array(this.names.length);
    if (this.gone[i] === 0) {
      this.gone[i] = 1;
      this.goneCount++;
    }
  }

  get(name: string): string {
    const a = this.added?.get(name);
    if (a !== undefined) return a;
    const i = this.find(name);
    if (i < 0 || (this.gone !== undefined && this.gone[i] === 1)) return '';
    return this.values[i] as string;
  }

  set(name: string, value: string): void {
    if (value === '') {
      this.del(name);
      return;
    }
    if (this.added === undefined) this.added = new Map();
    else if (this.added.has(name)) {
      this.added.set(name, value);
      return;
    }
    const i = this.find(name);
    if (i >= 0) this.drop(i);
    this.added.set(name, value);
  }

  del(name: string): void {
    if (this.added?.delete(name) === true) return;
    const i = this.find(name);
    if (i >= 0) this.drop(i);
  }

  /** Every label, base order then added order (Range over the builder), as parallel arrays. */
  snapshot(): { names: string[]; values: string[] } {
    const outNames: string[] = [];
    const outValues: string[] = [];
    const { names, values, gone } = this;
    for (let i = 0; i < names.length; i++) {
      if (gone !== undefined && gone[i] === 1) continue;
      outNames.push(names[i] as string);
      outValues.push(values[i] as string);
    }
    if (this.added !== undefined) {
      for (const [k, v] of this.added) {
        outNames.push(k);
        outValues.push(v);
      }
    }
    return { names: outNames, values: outValues };
  }

  /** The names only, in snapshot order. */
  snapshotNames(): string[] {
    const out: string[] = [];
    const { names, gone } = this;
    for (let i = 0; i < names.length; i++) if (gone === undefined || gone[i] === 0) out.push(names[i] as string);
    if (this.added !== undefined) for (const k of this.added.keys()) out.push(k);
    return out;
  }

  /** The labels sorted by name as parallel arrays; the base arrays themselves when nothing changed. */
  sorted(): SortedLabels {
    const added = this.added;
    if (this.goneCount === 0 && (added === undefined || added.size === 0))
      return { names: this.names, values: this.values };
    const extra = added === undefined ? [] : [...added.keys()].sort(byteOrder);
    const size = this.names.length - this.goneCount + extra.length;
    const names: string[] = new Array(size);
    const values: string[] = new Array(size);
    const { names: bn, values: bv, gone } = this;
    let i = 0;
    let j = 0;
    let o = 0;
    while (i < bn.length || j < extra.length) {
      if (i < bn.length && gone !== undefined && gone[i] === 1) {
        i++;
        continue;
      }
      const b = bn[i];
      const e = extra[j];
      if (e === undefined || (b !== undefined && b < e)) {
        names[o] = b as string;
        values[o++] = bv[i++] as string;
      } else {
        names[o] = e;
        values[o++] = (added as Map<string, string>).get(e) as string;
        j++;
      }
    }
    return { names, values };
  }
}

/** Labels as parallel arrays sorted by name (UTF-16 code unit order), without duplicates. */
export interface SortedLabels {
  readonly names: readonly string[];
  readonly values: readonly string[];
}

function toUpperSimple(s: string): string {
  let out = '';
  for (const ch of s) {
    const u = ch.toUpperCase();
    out += [...u].length === 1 ? u : ch;
  }
  return out;
}

function toLowerSimple(s: string): string {
  let out = '';
  for (const ch of s) {
    const l = ch.toLowerCase();
    out += [...l].length === 1 ? l : ch;
  }
  return out;
}

/** md5(value), bytes 8..15 as a big-endian uint64, modulo `modulus` (relabel.go's hashmod). */
export function hashmod(value: string, modulus: bigint): bigint {
  const digest = createHash('md5').update(value, 'utf8').digest();
  return digest.readBigUInt64BE(8) % modulus;
}

function testFull(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  return re.test(s);
}

function matchFull(re: RegExp, s: string): RegExpExecArray | null {
  re.lastIndex = 0;
  return re.exec(s);
}

/** Applies one config; returns false when the label set must be dropped. */
function applyOne(cfg: RelabelConfig, lb: Builder): boolean {
  const src = cfg.sourceLabels;
  let val = src.length === 1 ? lb.get(src[0] as string) : '';
  if (src.length > 1) {
    val = lb.get(src[0] as string);
    for (let i = 1; i < src.length; i++) val += cfg.separator + lb.get(src[i] as string);
  }
  switch (cfg.action) {
    case 'drop':
      return !testFull(cfg.regex, val);
    case 'keep':
      return testFull(cfg.regex, val);
    case 'dropequal':
      return lb.get(cfg.targetLabel) !== val;
    case 'keepequal':
      return lb.get(cfg.targetLabel) === val;
    case 'replace': {
      const m = matchFull(cfg.regex, val);
      if (m === null) return true;
      const target = expandTemplate(cfg.targetLabel, m);
      if (!isValidLabelName(target)) return true;
      const res = expandTemplate(cfg.replacement, m);
      if (res === '') lb.del(target);
      else lb.set(target, res);
      return true;
    }
    case 'lowercase':
      lb.set(cfg.targetLabel, toLowerSimple(val));
      return true;
    case 'uppercase':
      lb.set(cfg.targetLabel, toUpperSimple(val));
      return true;
    case 'hashmod':
      lb.set(cfg.targetLabel, hashmod(val, cfg.modulus).toString());
      return true;
    case 'labelmap': {
      const snap = lb.snapshot();
      for (let i = 0; i < snap.names.length; i++) {
        const m = matchFull(cfg.regex, snap.names[i] as string);
        if (m !== null) lb.set(expandTemplate(cfg.replacement, m), snap.values[i] as string);
      }
      return true;
    }
    case 'labeldrop':
      for (const name of lb.snapshotNames()) {
        if (cfg.regex.test(name)) lb.del(name);
      }
      return true;
    case 'labelkeep':
      for (const name of lb.snapshotNames()) {
        if (!cfg.regex.test(name)) lb.del(name);
      }
      return true;
  }
}

/**
 * Applies `configs` in order to labels already sorted by name (parallel arrays, read-only: never modified, and
 * returned as they are when no rule changes anything). `undefined` when a keep/drop/keepequal/dropequal step drops
 * them.
 */
export function relabelSorted(labels: SortedLabels, configs: readonly RelabelConfig[]): SortedLabels | undefined {
  const lb = new Builder(labels.names, labels.values);
  for (const cfg of configs) {
    if (!applyOne(cfg, lb)) return undefined;
  }
  return lb.sorted();
}

/** Sorts pairs by name into parallel arrays (a later duplicate name wins, as a Map built from them would). */
function sortedOf(pairs: Iterable<readonly [string, string]>): SortedLabels {
  const m = new Map<string, string>();
  for (const [k, v] of pairs) m.set(k, v);
  const names = [...m.keys()].sort(byteOrder);
  return { names, values: names.map((n) => m.get(n) as string) };
}

/**
 * Applies `configs` in order. Returns the relabeled labels sorted by name, in the same shape as the input (a new
 * Map or a new array; the input is not modified), or `undefined` when a keep/drop/keepequal/dropequal step drops it.
 */
export function relabel(
  labels: Map<string, string>,
  configs: readonly RelabelConfig[],
): Map<string, string> | undefined;
export function relabel(labels: LabelPairs, configs: readonly RelabelConfig[]): LabelPairs | undefined;
export function relabel(
  labels: Map<string, string> | LabelPairs,
  configs: readonly RelabelConfig[],
): Map<string, string> | LabelPairs | undefined {
  const out = relabelSorted(sortedOf(labels), configs);
  if (out === undefined) return undefined;
  const pairs: [string, string][] = out.names.map((n, i): [string, string] => [n, out.values[i] as string]);
  return labels instanceof Map ? new Map(pairs) : pairs;
}
