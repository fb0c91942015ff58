// The page's style sheet (served at /assets/page.css, inline in the report). System fonts only, no images;
// one column on a phone, a grid from tablet width on.
export const PAGE_CSS = `
:root {
  --bg: #f5f6f8; --card: #fff; --ink: #111827; --muted: #6b7280; --line: #e5e7eb;
  --alert: #b91c1c; --alert-bg: #fef2f2; --ok: #15803d; --warn: #b45309; --accent: #1d4ed8;
  font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif;
  font-size: 15px; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
main { max-width: 1280px; margin: 0 auto; padding: 12px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 16px; margin: 4px 0 12px; }
header h1 { font-size: 20px; margin: 0; }
header .sub { color: var(--muted); font-size: 13px; flex: 1 1 auto; }
.lang { display: inline-flex; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.lang button { border: 0; background: var(--card); padding: 4px 10px; font: inherit; font-size: 13px; cursor: pointer; color: var(--ink); }
.lang button[aria-pressed="true"] { background: var(--ink); color: #fff; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin-bottom: 12px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; min-width: 0; }
.tile .k { color: var(--muted); font-size: 12px; }
.tile .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.tile .d { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.tile.firing { border-color: var(--alert); background: var(--alert-bg); }
.tile.firing .v { color: var(--alert); }
.grid { display: grid; grid-template-columns: 1fr; gap: 12px; }
@media (min-width: 900px) { .grid { grid-template-columns: 1fr 1fr; } .wide { grid-column: 1 / -1; } }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; min-width: 0; }
section h2 { font-size: 15px; margin: 0 0 8px; }
section h3 { font-size: 13px; margin: 10px 0 4px; color: var(--muted); font-weight: 600; }
.chart { width: 100%; min-height: 120px; }
.note { color: var(--muted); font-size: 12px; margin: 4px 0; }
.empty { color: var(--muted); font-size: 13px; padding: 6px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; }
td { white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: nowrap; }
td.text { white-space: normal; overflow-wrap: anywhere; word-break: break-word; min-width: 12em; }
.cat { display: inline-block; width: 9px; height: 9px; border-radius: 2px; margin-right: 5px; vertical-align: baseline; }
.alert { border: 1px solid var(--alert); background: var(--alert-bg); border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; }
.alert .title { color: var(--alert); font-weight: 700; }
.calm { color: var(--ok); font-weight: 600; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; background: var(--line); }
.badge.firing { background: var(--alert); color: #fff; }
.badge.resolved { background: #dcfce7; color: var(--ok); }
.health-bad { color: var(--warn); font-weight: 600; }
.uplot .u-legend { font-size: 12px; }
.uplot .u-legend .u-series th { font-weight: 500; }
.uplot .u-legend .u-series > * { padding: 2px 4px; }
footer { color: var(--muted); font-size: 12px; margin: 12px 0; }
@media (max-width: 520px) {
  main { padding: 8px; } .tile .v { font-size: 19px; } th, td { padding: 3px 4px; }
  td.text { min-width: 9em; }
  /* A phone keeps the code, its count and its description; the category is in the code's shape. */
  #codes th:nth-child(2), #codes td:nth-child(2), #codes th:nth-child(4), #codes td:nth-child(4) { display: none; }
}
`;
