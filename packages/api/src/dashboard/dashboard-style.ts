/** The dashboard's stylesheet: light and dark by `prefers-color-scheme`. */
export const DASHBOARD_CSS = `
:root { --bg: #fff; --fg: #1b1f24; --muted: #5b6470; --line: #d5dae0; --accent: #0b5fff; --bad: #b42318; --card: #f6f8fa; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1216; --fg: #e6e9ed; --muted: #9aa4b0; --line: #2c333b; --accent: #6ea0ff; --bad: #ff7b72; --card: #161b22; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
nav { display: flex; gap: .8rem; }
nav a, a { color: var(--accent); }
nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: var(--fg); }
main { padding: 1rem; }
.muted { color: var(--muted); }
.status { position: fixed; right: 1rem; bottom: 1rem; margin: 0; min-height: 1.5em; max-width: 40ch; pointer-events: none; }
.status:not(:empty) { background: var(--card); border: 1px solid var(--line); padding: .3rem .6rem; border-radius: 4px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: var(--bg); padding: .3rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); gap: .6rem; margin-bottom: 1rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .6rem; }
.card b { display: block; font-size: 1.4rem; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: var(--card); border: 1px solid var(--line); padding: .6rem; overflow: auto; max-height: 24rem; }
form.filters, .actions { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; margin-bottom: .8rem; }
label { display: flex; flex-direction: column; gap: .15rem; font-size: .85rem; }
input, select, button { font: inherit; padding: .25rem .45rem; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 4px; }
button { cursor: pointer; }
button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.bad { color: var(--bad); }
.chart { min-height: 200px; }
.log-error { color: var(--bad); }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
.progress-line { display: flex; gap: .6rem; align-items: center; min-height: 1.6em; }
progress { width: min(24rem, 60vw); height: 1rem; accent-color: var(--accent); }
#progress-text { font-variant-numeric: tabular-nums; }
ul.plain { list-style: none; margin: 0; padding: 0; }
ol.timeline { padding-left: 1.2rem; }
ol.timeline time { font-variant-numeric: tabular-nums; }
details summary { cursor: pointer; color: var(--accent); }
td.actions { display: flex; gap: .4rem; flex-wrap: wrap; border-bottom: 0; }
caption { text-align: left; }
`;
