// Trace structure parity for `switchyard verify`: compareTraces and its text/HTML renderings.
export type {
  LatencyComparison,
  PathDiff,
  PathDiffStatus,
  PathSideStats,
  RootComparison,
  ShapeRow,
  TraceCompareOptions,
  TraceComparison,
  TraceFinding,
  TraceVerdict,
} from './compare.js';
export { compareTraces } from './compare.js';
export { type KindName, normalizeOperation } from './label.js';
export { renderTracesHtml, renderTracesText } from './render.js';
