// The merged, located tree -> ResolvedConfig, collecting every issue on the way.

import { resolveSection } from './components.js';
import { isNull, type LNode } from './located.js';
import { Reporter } from './report.js';
import type { ConfigIssue, ResolvedConfig } from './resolved.js';
import { COMPONENT_SECTIONS, type Distribution, SECTION_KIND, TOP_LEVEL_KEYS } from './sections.js';
import { type Configured, resolveService } from './service.js';
import { hint } from './suggest.js';

export interface ValidationResult {
  /** Present when there are no errors. */
  readonly config: ResolvedConfig | undefined;
  readonly issues: readonly ConfigIssue[];
}

export function validateTree(root: LNode | undefined, distribution: Distribution): ValidationResult {
  const report = new Reporter(root);
  if (!isNull(root) && root?.kind !== 'map') {
    report.error([], `the config must be a map with the keys ${TOP_LEVEL_KEYS.join(', ')}`);
    return { config: undefined, issues: report.issues };
  }
  for (const key of root?.kind === 'map' ? root.entries.keys() : []) {
    if (!TOP_LEVEL_KEYS.includes(key))
      report.error([key], `unknown key "${key}"${hint('allowed', key, TOP_LEVEL_KEYS)}`, 'key');
  }
  const receivers = resolveSection(root, 'receivers', distribution.receivers, report);
  const processors = resolveSection(root, 'processors', distribution.processors, report);
  const exporters = resolveSection(root, 'exporters', distribution.exporters, report);
  const connectors = resolveSection(root, 'connectors', [], report);
  const extensions = resolveSection(root, 'extensions', distribution.extensions, report);
  const configured: Configured = {
    receivers: receivers.configured,
    processors: processors.configured,
    exporters: exporters.configured,
    connectors: connectors.configured,
    extensions: extensions.configured,
  };
  const { service, used } = resolveService(root, configured, report);
  for (const section of COMPONENT_SECTIONS) {
    for (const [key, factory] of configured[section]) {
      if (factory === undefined || used[section].has(key)) continue;
      const noun = SECTION_KIND[section];
      const message =
        section === 'extensions'
          ? `extension "${key}" is configured but not enabled in service.extensions`
          : `${noun} "${key}" is configured but not used by any pipeline`;
      report.warn([section, key], message, 'key');
    }
  }
  if (report.errorCount() > 0) return { config: undefined, issues: report.issues };
  const config: ResolvedConfig = {
    receivers: receivers.resolved,
    processors: processors.resolved,
    exporters: exporters.resolved,
    extensions: extensions.resolved,
    service,
  };
  return { config, issues: report.issues };
}
