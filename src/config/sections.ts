// The top-level shape of a config and which factories each component section draws from.
import type {
  AnyFactory,
  ExporterFactory,
  ExtensionFactory,
  Kind,
  ProcessorFactory,
  ReceiverFactory,
} from '../component/component.js';
import type { Signal } from '../pdata/model.js';

/** The factories a build of Switchyard contains (what `switchyard components` prints). */
export interface Distribution {
  readonly receivers: readonly ReceiverFactory[];
  readonly processors: readonly ProcessorFactory[];
  readonly exporters: readonly ExporterFactory[];
  readonly extensions: readonly ExtensionFactory[];
}

export type ComponentSection = 'receivers' | 'processors' | 'exporters' | 'extensions' | 'connectors';
export const COMPONENT_SECTIONS: readonly ComponentSection[] = [
  'receivers',
  'processors',
  'exporters',
  'connectors',
  'extensions',
];
export const TOP_LEVEL_KEYS: readonly string[] = [...COMPONENT_SECTIONS, 'service'];

export const SECTION_KIND: Readonly<Record<ComponentSection, Kind>> = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  extensions: 'extension',
  connectors: 'connector',
};

/**
 * The factories of a section. Connectors have none yet, so every connector id is an unknown
 * type; adding them means a `connectors` list on Distribution and a case here (pipelines would
 * then accept a connector id as an exporter of one pipeline and a receiver of another).
 */
export function sectionFactories(d: Distribution, section: ComponentSection): readonly AnyFactory[] {
  switch (section) {
    case 'receivers':
      return d.receivers;
    case 'processors':
      return d.processors;
    case 'exporters':
      return d.exporters;
    case 'extensions':
      return d.extensions;
    case 'connectors':
      return [];
  }
}

/** The signals a pipeline component supports (those its factory declares a stability for). */
export function supportedSignals(factory: AnyFactory): readonly Signal[] | undefined {
  if (factory.kind === 'extension') return undefined;
  return (Object.keys(factory.stability) as Signal[]).filter((s) => factory.stability[s] !== undefined);
}

/** Removed or renamed component types, with what to use instead (the Collector's hint). */
export const REPLACED_TYPES: Readonly<Partial<Record<ComponentSection, Readonly<Record<string, string>>>>> = {
  exporters: { logging: 'the logging exporter has been removed, use the debug exporter instead' },
};
