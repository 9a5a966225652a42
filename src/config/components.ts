// One component section (`receivers:`, `exporters:`, ...): ids parsed, factories found, each
// config built as defaults-then-overlay and checked against the factory's schema, then by the
// factory's own cross-field validate().
import type { AnyFactory } from '../component/component.js';
import { type ComponentId, parseComponentId } from '../component/id.js';
import { checkValue } from './check.js';
import { isNull, type LEntry, type LNode, nodeAt, type Path, toPlain } from './located.js';
import { overlay } from './overlay.js';
import type { Reporter } from './report.js';
import type { ResolvedComponent } from './resolved.js';
import type { SchemaObject } from './schema-walk.js';
import { type ComponentSection, REPLACED_TYPES, SECTION_KIND } from './sections.js';
import { hint } from './suggest.js';

export interface SectionResult<F extends AnyFactory> {
  /** Components whose config is valid, by id as written. */
  readonly resolved: ReadonlyMap<string, ResolvedComponent<F>>;
  /** Every id written in the section (valid or not), with its factory when the type is known;
   * pipelines check references against this, so one bad component does not cascade. */
  readonly configured: ReadonlyMap<string, F | undefined>;
}

export function resolveSection<F extends AnyFactory>(
  root: LNode | undefined,
  section: ComponentSection,
  factories: readonly F[],
  report: Reporter,
): SectionResult<F> {
  const resolved = new Map<string, ResolvedComponent<F>>();
  const configured = new Map<string, F | undefined>();
  const node = nodeAt(root, [section]);
  if (isNull(node)) return { resolved, configured };
  if (node?.kind !== 'map') {
    report.error([section], `must be a map of component ids to their configs`);
    return { resolved, configured };
  }
  for (const [key, entry] of node.entries) {
    const factory = findFactory(section, key, factories, report);
    configured.set(key, factory?.factory);
    if (factory === undefined) continue;
    const component = resolveComponent(root, [section, key], entry, factory, report);
    if (component !== undefined) resolved.set(key, component);
  }
  return { resolved, configured };
}

function findFactory<F extends AnyFactory>(
  section: ComponentSection,
  key: string,
  factories: readonly F[],
  report: Reporter,
): { id: ComponentId; factory: F } | undefined {
  const id = parseComponentId(key);
  if (typeof id === 'string') {
    report.error([section, key], id, 'key');
    return undefined;
  }
  const factory = factories.find((f) => f.type === id.type);
  if (factory !== undefined) return { id, factory };
  const replaced = REPLACED_TYPES[section]?.[id.type];
  const types = factories.map((f) => f.type).sort();
  const message =
    replaced ??
    `unknown type "${id.type}" for id "${key}"${hint('valid values', id.type, types)}` +
      (types.length === 0 ? `; no ${SECTION_KIND[section]} types are available in this build` : '');
  report.error([section, key], message, 'key');
  return undefined;
}

function resolveComponent<F extends AnyFactory>(
  root: LNode | undefined,
  path: Path,
  entry: LEntry,
  found: { id: ComponentId; factory: F },
  report: Reporter,
): ResolvedComponent<F> | undefined {
  const { id, factory } = found;
  const user = toPlain(entry.node);
  if (user !== null && (typeof user !== 'object' || Array.isArray(user))) {
    report.error(path, 'must be a map of settings (or empty for the defaults)');
    return undefined;
  }
  const schema = factory.configSchema as SchemaObject;
  const withDefaults = overlay(factory.createDefaultConfig(), user, schema);
  const textAt = (p: Path): string | undefined => {
    return nodeAt(root, [...path, ...p])?.text;
  };
  const checked = checkValue(schema, withDefaults, textAt);
  report.schema(path, checked.problems);
  if (checked.problems.length > 0) return undefined;
  const crossField = runValidate(factory, checked.value);
  for (const p of crossField) report.error([...path, ...p.path], p.message);
  if (crossField.length > 0) return undefined;
  return { id, key: String(path[path.length - 1]), factory, config: checked.value };
}

function runValidate(factory: AnyFactory, config: unknown): readonly { path: Path; message: string }[] {
  if (factory.validate === undefined) return [];
  try {
    return factory.validate(config);
  } catch (e) {
    return [{ path: [], message: `validation failed unexpectedly: ${e instanceof Error ? e.message : String(e)}` }];
  }
}
