// Pieces shared by the status pages on the own-telemetry address: escaping and the page frame.
// Pages are server-rendered, self-contained (inline CSS, no scripts, no external assets) and
// readable without JavaScript.

/** Text safe inside HTML elements and double-quoted attributes. */
/** Response headers of our server-rendered pages: no scripts, no outside requests, not cached. */
export const HTML_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
} as const;

export function esc(value: string | number): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--warn:#9a6700;--bad:#cf222e;--ok:#1a7f37;--accent:#0969da;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--bg:#0d1117;--warn:#d29922;--bad:#f85149;--ok:#3fb950;--accent:#4493f8;--code:#161b22}}
body{font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:1rem 1.5rem 3rem;max-width:72rem}
h1{font-size:1.4rem;margin:.5rem 0}h2{font-size:1.1rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
nav a{margin-right:1rem}a{color:var(--accent)}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}pre{background:var(--code);border:1px solid var(--line);padding:.6rem .8rem;overflow:auto}
.muted{color:var(--muted)}.bad{color:var(--bad);font-weight:600}.ok{color:var(--ok)}.warn{color:var(--warn);font-weight:600}
.summary{display:flex;flex-wrap:wrap;gap:1.5rem;margin:.5rem 0}.summary div{min-width:8rem}.summary b{display:block;font-size:1.3rem}
.suggestion{border-left:4px solid var(--warn);padding:.2rem .8rem;margin:.8rem 0}
svg.spark{vertical-align:middle}svg.spark polyline{fill:none;stroke:var(--accent);stroke-width:1.5}svg.spark line{stroke:var(--line)}
`;

/** The page frame: title, navigation, body. `body` must already be escaped HTML. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><nav><a href="/">Status</a><a href="/cardinality">Cardinality</a><a href="/metrics">/metrics</a><a href="/api/cardinality">JSON</a></nav>
${body}
</body></html>
`;
}
