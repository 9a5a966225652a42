// Collects issues while validating, positioned against the merged, located tree.
import type { SchemaProblem } from './check.js';
import { formatPath, type LNode, locate, type Path } from './located.js';
import type { ConfigIssue } from './resolved.js';

export class Reporter {
  private readonly list: ConfigIssue[] = [];

  constructor(private readonly root: LNode | undefined) {}

  get issues(): readonly ConfigIssue[] {
    return this.list;
  }

  error(path: Path, message: string, at: 'key' | 'value' = 'value'): void {
    this.add('error', path, message, at);
  }

  warn(path: Path, message: string, at: 'key' | 'value' = 'value'): void {
    this.add('warning', path, message, at);
  }

  /** Schema problems found below `prefix`. */
  schema(prefix: Path, problems: readonly SchemaProblem[]): void {
    for (const p of problems) this.error([...prefix, ...p.path], p.message, p.at);
  }

  errorCount(): number {
    return this.list.filter((i) => i.severity === 'error').length;
  }

  private add(severity: ConfigIssue['severity'], path: Path, message: string, at: 'key' | 'value'): void {
    const pos = locate(this.root, path, at);
    this.list.push({ severity, ...pos, path: formatPath(path), message });
  }
}
