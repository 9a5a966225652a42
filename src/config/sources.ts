// Where config text comes from: `--config` values (a path, `file:PATH`, `env:VAR`,
// `yaml:key::sub: value`) and `--set key.sub=value`, each turned into a located tree.
import { readFile } from 'node:fs/promises';
import type { LNode } from './located.js';
import { nestUnder } from './located.js';
import { type ParsedSource, parseSource } from './parse.js';
import type { ConfigIssue } from './resolved.js';
import type { Env } from './substitute.js';

export type SourceSpec =
  | { readonly kind: 'file'; readonly name: string; readonly path: string }
  | { readonly kind: 'env'; readonly name: string; readonly variable: string }
  | { readonly kind: 'yaml'; readonly name: string; readonly text: string };

const URI_SCHEME_RE = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;
const SUPPORTED = 'a file path, file:PATH, env:VAR, yaml:key::sub: value';

/** Parse one `--config` value; a one-letter scheme is a Windows drive, not a scheme. */
export function parseSourceSpec(value: string): SourceSpec | ConfigIssue {
  const scheme = URI_SCHEME_RE.exec(value)?.[1];
  const rest = scheme === undefined ? value : value.slice(scheme.length + 1);
  switch (scheme) {
    case undefined:
      return { kind: 'file', name: value, path: value };
    case 'file':
      return { kind: 'file', name: rest, path: rest };
    case 'env':
      return { kind: 'env', name: value, variable: rest };
    case 'yaml':
      return { kind: 'yaml', name: value, text: rest };
    default:
      return sourceIssue(value, `unsupported config source scheme "${scheme}:" (supported: ${SUPPORTED})`);
  }
}

/** Read and parse one `--config` source. */
export async function loadSource(value: string, env: Env): Promise<ParsedSource & { readonly name: string }> {
  const spec = parseSourceSpec(value);
  if ('severity' in spec) return { name: value, root: undefined, issues: [spec] };
  const text = await sourceText(spec, env);
  if (typeof text !== 'string') return { name: spec.name, root: undefined, issues: [text] };
  const parsed = parseSource(text, { source: spec.name, env, splitDots: spec.kind === 'yaml' });
  return { name: spec.name, ...parsed };
}

async function sourceText(spec: SourceSpec, env: Env): Promise<string | ConfigIssue> {
  switch (spec.kind) {
    case 'file':
      try {
        return await readFile(spec.path, 'utf8');
      } catch (e) {
        return sourceIssue(spec.name, `cannot read the config file: ${errorText(e)}`);
      }
    case 'env': {
      const text = env[spec.variable];
      return text === undefined ? sourceIssue(spec.name, `environment variable ${spec.variable} is not set`) : text;
    }
    case 'yaml':
      return spec.text;
  }
}

export const SET_SOURCE = '--set';

/**
 * One `--set key.sub=value` (Collector semantics): the key is a path split on `::` when it has
 * one, else on `.`; the value is parsed as YAML (so `--set a.port=8080` is a number), with
 * `${env:...}` substituted.
 */
export function parseSet(value: string, env: Env): ParsedSource {
  const eq = value.indexOf('=');
  if (eq <= 0) return { root: undefined, issues: [sourceIssue(SET_SOURCE, `"${value}" must be key=value`)] };
  const key = value.slice(0, eq);
  const path = key.includes('::') ? key.split('::') : key.split('.');
  if (path.some((s) => s === '')) {
    return { root: undefined, issues: [sourceIssue(SET_SOURCE, `"${key}" has an empty path segment`)] };
  }
  const parsed = parseSource(value.slice(eq + 1), { source: SET_SOURCE, env, withLines: false });
  const pos = { source: SET_SOURCE };
  const leaf: LNode = parsed.root ?? { kind: 'scalar', pos, value: null };
  return { root: nestUnder(path, leaf, pos), issues: parsed.issues };
}

function sourceIssue(source: string, message: string): ConfigIssue {
  return { severity: 'error', source, path: '', message };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
