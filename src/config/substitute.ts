// Environment references inside one scalar's text, the Collector's way:
//   ${env:VAR}  ${env:VAR:-default}  ${VAR}  ${VAR:-default}   and  $$ -> a literal $.
// The default applies only when the variable is unset (a set-but-empty variable stays empty).
// The caller decides typing: a scalar that is exactly one reference and was written unquoted
// takes the YAML type of the value; everything else is string concatenation.

export type Env = Readonly<Record<string, string | undefined>>;

const NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?!-)/;

export interface ExpandProblem {
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export type Expansion =
  /** No reference: the text with `$$` unescaped. */
  | { readonly kind: 'literal'; readonly text: string }
  /** The whole text was one reference; `text` is its value. */
  | { readonly kind: 'whole'; readonly reference: string; readonly text: string }
  /** References mixed with other text: concatenated. */
  | { readonly kind: 'mixed'; readonly text: string };

export interface ExpandResult {
  readonly expansion: Expansion;
  readonly problems: readonly ExpandProblem[];
}

type Token = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'ref'; readonly body: string };

export function expand(input: string, env: Env): ExpandResult {
  const tokens = tokenize(input);
  const problems: ExpandProblem[] = [];
  const refs = tokens.filter((t) => t.kind === 'ref');
  let text = '';
  for (const token of tokens) {
    text += token.kind === 'text' ? token.text : resolveReference(token.body, env, problems);
  }
  const first = tokens[0];
  if (refs.length === 0) return { expansion: { kind: 'literal', text }, problems };
  if (tokens.length === 1 && first?.kind === 'ref') {
    return { expansion: { kind: 'whole', reference: `\${${first.body}}`, text }, problems };
  }
  return { expansion: { kind: 'mixed', text }, problems };
}

/** Split text into literal runs and `${...}` bodies; `$$` is an escaped `$`; an unterminated
 * `${` is literal text. Braces nest, so a default may itself hold a reference. */
function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  let i = 0;
  while (i < input.length) {
    if (input.startsWith('$$', i)) {
      literal += '$';
      i += 2;
      continue;
    }
    const end = input.startsWith('${', i) ? matchingBrace(input, i + 2) : -1;
    if (end < 0) {
      literal += input[i];
      i += 1;
      continue;
    }
    if (literal !== '') tokens.push({ kind: 'text', text: literal });
    literal = '';
    tokens.push({ kind: 'ref', body: input.slice(i + 2, end) });
    i = end + 1;
  }
  if (literal !== '') tokens.push({ kind: 'text', text: literal });
  return tokens;
}

function matchingBrace(input: string, from: number): number {
  let depth = 1;
  for (let i = from; i < input.length; i++) {
    if (input.startsWith('${', i)) {
      depth += 1;
      i += 1;
    } else if (input[i] === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function resolveReference(body: string, env: Env, problems: ExpandProblem[]): string {
  const written = `\${${body}}`;
  const scheme = SCHEME_RE.exec(body);
  if (scheme !== null && scheme[1] !== 'env') {
    problems.push({
      severity: 'error',
      message: `${written}: unsupported scheme "${scheme[1]}" (supported: \${env:VAR}, \${env:VAR:-default}, \${VAR})`,
    });
    return '';
  }
  const rest = scheme === null ? body : body.slice(scheme[0].length);
  const cut = rest.indexOf(':-');
  const name = cut < 0 ? rest : rest.slice(0, cut);
  if (!NAME_RE.test(name)) {
    problems.push({
      severity: 'error',
      message: `${written}: invalid environment variable name "${name}" (must match ${NAME_RE.source})`,
    });
    return '';
  }
  const value = env[name];
  if (value !== undefined) return value;
  if (cut >= 0) {
    const fallback = expand(rest.slice(cut + 2), env);
    problems.push(...fallback.problems);
    return fallback.expansion.text;
  }
  problems.push({ severity: 'warning', message: `environment variable ${name} is not set (${written}); using ""` });
  return '';
}
