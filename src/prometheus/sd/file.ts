// file_sd_configs: target groups from JSON/YAML files matched by globs, re-read on fs.watch events and periodically.
import { type FSWatcher, readdirSync, readFileSync, watch } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decodeGroups, isRecord, Reader, type SdProblem } from './common.js';
import type { Discoverer, DiscoveryErrorListener, GroupsListener, TargetGroup } from './types.js';

export const FILE_SD_DEFAULT_REFRESH_MS = 5 * 60_000;

export interface FileSdConfig {
  /** Absolute patterns; `*`, `?` and `[...]` are allowed in the last path element only. */
  readonly files: readonly string[];
  readonly refreshIntervalMs: number;
}

/** Prometheus's check: a glob only in the last element, and a .json/.yml/.yaml extension. */
const FILE_PATTERN_RE = /^[^*]*(\*[^/]*)?\.(json|yml|yaml|JSON|YML|YAML)$/;

export function parseFileSdConfigs(raw: unknown, path: string, problems: SdProblem[], baseDir: string): FileSdConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.push({ path, message: 'must be a list of {files, refresh_interval}' });
    return [];
  }
  const out: FileSdConfig[] = [];
  raw.forEach((entry: unknown, i) => {
    const r = new Reader(`${path}[${i}]`, problems);
    if (!isRecord(entry)) {
      r.problem(undefined, 'must be a mapping with files and refresh_interval');
      return;
    }
    r.checkKeys(entry, ['files', 'refresh_interval']);
    const files = r.stringList(entry, 'files');
    if (files === undefined || files.length === 0)
      r.problem('files', 'file service discovery config must contain at least one path name');
    const resolved: string[] = [];
    (files ?? []).forEach((f, j) => {
      if (!FILE_PATTERN_RE.test(f)) {
        r.problem(
          `files[${j}]`,
          `path name ${JSON.stringify(f)} is not valid for file discovery (a glob is allowed in the last element only; extension .json, .yml or .yaml)`,
        );
        return;
      }
      resolved.push(isAbsolute(f) ? f : resolve(baseDir, f));
    });
    const refreshIntervalMs = r.duration(entry, 'refresh_interval') ?? FILE_SD_DEFAULT_REFRESH_MS;
    if (refreshIntervalMs <= 0) r.problem('refresh_interval', 'must be greater than 0');
    out.push({ files: resolved, refreshIntervalMs });
  });
  return out;
}

function globToRegExp(glob: string): RegExp {
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) src += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('^') || body.startsWith('!')) body = `^${body.slice(1)}`;
        src += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else src += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/** Files currently matching `pattern`, sorted. */
export function expandPattern(pattern: string): string[] {
  const dir = dirname(pattern);
  const base = basename(pattern);
  if (!/[*?[]/.test(base)) return [pattern];
  const re = globToRegExp(base);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** Reads one file_sd file into groups (source `path:i`, `__meta_filepath`). */
export function readGroupsFile(path: string): TargetGroup[] {
  const text = readFileSync(path, 'utf8');
  const ext = extname(path).toLowerCase();
  let data: unknown;
  if (ext === '.json') data = JSON.parse(text);
  // The failsafe schema keeps every scalar a string, as Go's YAML decoding into label values does (`port: 80`).
  else data = parseYaml(text, { schema: 'failsafe' });
  // An empty YAML document stands for no groups.
  if (data === null || data === undefined) data = [];
  return decodeGroups(data, path, { __meta_filepath: path });
}

export class FileDiscoverer implements Discoverer {
  readonly #config: FileSdConfig;
  /** Last good groups per file. */
  readonly #lastGood = new Map<string, readonly TargetGroup[]>();
  readonly #watchers = new Map<string, FSWatcher>();
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #lastReported: string | undefined;
  #stopped = false;
  #onGroups: GroupsListener = () => {};
  #onError: DiscoveryErrorListener = () => {};

  constructor(config: FileSdConfig) {
    this.#config = config;
  }

  async start(onGroups: GroupsListener, onError: DiscoveryErrorListener): Promise<void> {
    this.#onGroups = onGroups;
    this.#onError = onError;
    this.#stopped = false;
    this.#refresh();
    this.#timer = setInterval(() => this.#refresh(), this.#config.refreshIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#debounce !== undefined) clearTimeout(this.#debounce);
    this.#timer = undefined;
    this.#debounce = undefined;
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  #scheduleRefresh(): void {
    if (this.#stopped || this.#debounce !== undefined) return;
    // Editors write files in several steps; read once they settle.
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.#refresh();
    }, 50);
    this.#debounce.unref();
  }

  #watchDirs(): void {
    const dirs = new Set(this.#config.files.map((f) => dirname(f)));
    for (const dir of dirs) {
      if (this.#watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => this.#scheduleRefresh());
        w.on('error', () => {
          w.close();
          this.#watchers.delete(dir);
        });
        this.#watchers.set(dir, w);
      } catch {
        // The directory may not exist yet; the periodic refresh tries again.
      }
    }
  }

  #refresh(): void {
    if (this.#stopped) return;
    this.#watchDirs();
    const seen = new Set<string>();
    for (const pattern of this.#config.files) {
      for (const file of expandPattern(pattern)) {
        if (seen.has(file)) continue;
        seen.add(file);
        try {
          this.#lastGood.set(file, readGroupsFile(file));
        } catch (err) {
          const code = isRecord(err) ? err['code'] : undefined;
          if (code === 'ENOENT') {
            seen.delete(file);
            continue;
          }
          // A broken file keeps its last good groups.
          this.#onError(new Error(`file_sd: reading ${file}: ${err instanceof Error ? err.message : String(err)}`));
        }
      }
    }
    for (const file of [...this.#lastGood.keys()]) if (!seen.has(file)) this.#lastGood.delete(file);
    const groups = [...this.#lastGood.keys()].sort().flatMap((f) => this.#lastGood.get(f) ?? []);
    const key = JSON.stringify(groups);
    if (key === this.#lastReported) return;
    this.#lastReported = key;
    this.#onGroups(groups);
  }
}
