"""Stylesheet and script of the web pages, kept as Python strings so they ship with the package
(no package-data configuration needed) and are served from ``/static/``."""

from __future__ import annotations

__all__ = ["BOARD_CSS", "BOARD_JS"]

BOARD_CSS = """\
/* Projector-first: large type, high contrast (text #f5f7ff on #0b1021 is 18:1), visible focus. */
:root { color-scheme: dark; --bg: #0b1021; --fg: #f5f7ff; --muted: #c7cde0; --link: #9ecbff;
        --row: #151c35; --focus: #ffd166; --gold: #ffd166; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
       font: clamp(1.1rem, 1.6vw + 0.6rem, 2.2rem)/1.4 system-ui, "Segoe UI", Roboto, sans-serif; }
header, nav, main { max-width: 70rem; margin: 0 auto; padding: 0.4em 1em; }
h1 { font-size: 1.6em; margin: 0.3em 0 0; }
a { color: var(--link); }
a:focus-visible { outline: 0.2em solid var(--focus); outline-offset: 0.15em; }
.skip { position: absolute; left: -999em; }
.skip:focus { left: 1em; top: 1em; background: var(--bg); padding: 0.3em; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 0.3em 1em; padding: 0;
         margin: 0.2em 0; }
nav a[aria-current="page"] { color: var(--fg); font-weight: 700;
                             text-decoration-thickness: 0.15em; }
.status { color: var(--muted); font-size: 0.7em; margin: 0; }
table { width: 100%; border-collapse: collapse; }
caption { text-align: left; font-size: 0.8em; color: var(--muted); padding: 0.3em 0; }
th, td { padding: 0.25em 0.5em; text-align: left; }
thead th { border-bottom: 0.1em solid var(--muted); font-size: 0.75em; color: var(--muted); }
tbody tr:nth-child(odd) { background: var(--row); }
tbody tr:nth-child(-n+3) .rank { color: var(--gold); font-weight: 800; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.rank { width: 3em; font-variant-numeric: tabular-nums; }
.name a { color: var(--fg); text-decoration: none; }
.name a:hover, .name a:focus-visible { text-decoration: underline; }
.frozen { border: 0.1em solid var(--gold); padding: 0.3em 0.6em; }
.meta, .summary { color: var(--muted); }
.summary strong { color: var(--fg); font-size: 1.4em; }
progress { width: 8em; height: 0.8em; accent-color: #6ee7b7; vertical-align: middle; }
td:has(> progress) { white-space: nowrap; }
@keyframes flash { from { background: #1e4d3a; } to { background: transparent; } }
tr.changed { animation: flash 1.2s ease-out; }
@media (prefers-reduced-motion: reduce) { tr.changed { animation: none; } }
"""

BOARD_JS = r"""
// Keeps a server-rendered board or learner page live over server-sent events.
// Rows are built with textContent only: names are learner-typed text.
"use strict";
(function () {
  const body = document.body;
  const status = document.getElementById("status");
  if (!body.dataset.stream || !status) return;
  let updates = 0;

  function say(text) { status.textContent = text; }
  function cell(tag, text, cls) {
    const el = document.createElement(tag);
    el.textContent = String(text);
    if (cls) el.className = cls;
    return el;
  }

  function renderBoard(board) {
    const tbody = document.getElementById("rows");
    const before = new Map();
    for (const tr of tbody.rows) before.set(tr.dataset.learner, tr.dataset.total);
    const rows = board.entries.map(function (e) {
      const tr = document.createElement("tr");
      tr.dataset.learner = e.learner;
      tr.dataset.total = String(e.total);
      tr.appendChild(cell("td", e.rank, "rank"));
      const th = document.createElement("th");
      th.scope = "row";
      th.className = "name";
      const a = cell("a", e.name);
      a.href = "/c/" + encodeURIComponent(board.cohort) + "/l/" + encodeURIComponent(e.learner);
      th.appendChild(a);
      tr.appendChild(th);
      tr.appendChild(cell("td", e.total, "num"));
      tr.appendChild(cell("td", e.solved, "num"));
      if (before.has(e.learner) && before.get(e.learner) !== undefined &&
          before.get(e.learner) !== String(e.total)) tr.className = "changed";
      return tr;
    });
    tbody.replaceChildren.apply(tbody, rows);
    document.getElementById("count").textContent = String(board.learners);
    const frozen = document.getElementById("frozen");
    frozen.hidden = !board.frozen;
    document.getElementById("frozen-at").textContent = board.as_of || "";
  }

  function renderLearner(view) {
    document.getElementById("total").textContent = String(view.total);
    document.getElementById("position").textContent =
      view.rank ? "Rank " + view.rank + " of " + view.learners : "Not ranked yet";
    const tbody = document.getElementById("modules");
    const rows = view.modules.map(function (m) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      const a = cell("a", m.module);
      a.href = "/c/" + encodeURIComponent(view.cohort) + "/m/" + encodeURIComponent(m.module);
      th.appendChild(a);
      tr.appendChild(th);
      const td = document.createElement("td");
      const bar = document.createElement("progress");
      bar.max = Math.max(m.max_points, 1);
      bar.value = m.points - m.bonus;
      bar.setAttribute("aria-label",
        m.module + ": " + m.points + " of " + m.max_points + " points");
      td.appendChild(bar);
      td.appendChild(document.createTextNode(" "));
      td.appendChild(cell("span", m.points + "/" + m.max_points, "num"));
      tr.appendChild(td);
      tr.appendChild(cell("td", m.solved + "/" + m.tasks, "num"));
      tr.appendChild(cell("td", m.rank ? m.rank + " of " + m.learners : "—", "num"));
      return tr;
    });
    tbody.replaceChildren.apply(tbody, rows);
  }

  const source = new EventSource(body.dataset.stream);
  source.addEventListener("open", function () { say("Live"); });
  source.addEventListener("error", function () { say("Reconnecting…"); });
  function updated() {
    updates += 1;
    body.dataset.updates = String(updates);
    say("Live · updated " + new Date().toLocaleTimeString());
  }
  source.addEventListener("board", function (ev) {
    renderBoard(JSON.parse(ev.data));
    updated();
  });
  source.addEventListener("learner", function (ev) {
    renderLearner(JSON.parse(ev.data));
    updated();
  });
})();
"""
