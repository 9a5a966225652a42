// The config layer: YAML sources with positions, ${env:VAR} on the syntax tree, merge, --set,
// validation against each factory's schema, redaction and the editor JSON Schema.
export { buildJsonSchema } from './json-schema.js';
export { type LoadOptions, type LoadResult, loadConfig } from './load.js';
export { REDACTED, redactConfig } from './redact.js';
export {
  ConfigError,
  type ConfigIssue,
  formatIssue,
  type LogLevel,
  type ResolvedComponent,
  type ResolvedConfig,
  type ResolvedPipeline,
} from './resolved.js';
export { type Distribution, TOP_LEVEL_KEYS } from './sections.js';
