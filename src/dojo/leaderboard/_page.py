"""The web pages: a live board (overall and per module), a learner view, and a cohort index.

Pages are rendered on the server (they work without JavaScript) and then kept live by
the script in ``_assets`` over server-sent events. Every piece of user text goes through
:func:`h`; the script builds rows with ``textContent``, and the Content-Security-Policy allows
no inline script.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["board_page", "index_page", "learner_page"]

_WINDOW_LABELS = {"all": "All time", "month": "This month", "week": "This week"}


def h(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape(str(value), quote=True)


def _u(value: str) -> str:
    return quote(value, safe="")


def _layout(title: str, body: str, *, live: dict[str, str] | None = None) -> str:
    data = "".join(f' data-{h(k)}="{h(v)}"' for k, v in (live or {}).items())
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{h(title)}</title>\n"
        '<link rel="stylesheet" href="/static/board.css">\n'
        '<script src="/static/board.js" defer></script>\n'
        "</head>\n"
        f"<body{data}>\n"
        '<a class="skip" href="#main">Skip to content</a>\n'
        f"{body}\n</body>\n</html>\n"
    )


def _nav(label: str, items: Iterable[tuple[str, str, bool]]) -> str:
    current_attr = ' aria-current="page"'
    lis = "".join(
        f'<li><a href="{h(href)}"{current_attr if current else ""}>{h(text)}</a></li>'
        for text, href, current in items
    )
    return f'<nav aria-label="{h(label)}"><ul>{lis}</ul></nav>'


def _rows(board: dict[str, Any]) -> str:
    base = f"/c/{_u(board['cohort'])}/l/"
    out = []
    for e in board["entries"]:
        out.append(
            f'<tr data-learner="{h(e["learner"])}">'
            f'<td class="rank">{h(e["rank"])}</td>'
            f'<th scope="row" class="name"><a href="{h(base + _u(e["learner"]))}">'
            f"{h(e['name'])}</a></th>"
            f'<td class="num">{h(e["total"])}</td>'
            f'<td class="num">{h(e["solved"])}</td></tr>'
        )
    return "".join(out)


def _frozen_note(board: dict[str, Any]) -> str:
    hidden = "" if board["frozen"] else " hidden"
    return (
        f'<p id="frozen" class="frozen"{hidden}>Board frozen at '
        f'<time id="frozen-at">{h(board["as_of"] or "")}</time>: '
        "later scores are revealed at the end.</p>"
    )


def board_page(board: dict[str, Any], *, limit: int) -> str:
    """Render a board page (overall when ``board["module"]`` is ``None``)."""
    cohort, module, window = board["cohort"], board["module"], board["window"]
    here = f"/c/{_u(cohort)}" + (f"/m/{_u(module)}" if module else "")
    boards = [("Overall", f"/c/{_u(cohort)}?window={window}", module is None)] + [
        (m, f"/c/{_u(cohort)}/m/{_u(m)}?window={window}", m == module) for m in board["modules"]
    ]
    windows = [(label, f"{here}?window={w}", w == window) for w, label in _WINDOW_LABELS.items()]
    scope = f"Module {module}" if module else "Overall"
    caption = f"{scope} — {_WINDOW_LABELS[window]}"
    query = {"window": window, "limit": str(limit)}
    if module:
        query["module"] = module
    body = (
        f"<header><h1>{h(board['title'])}</h1>"
        '<p id="status" class="status" role="status" aria-live="polite">Connecting…</p></header>\n'
        f"{_nav('Boards', boards)}\n{_nav('Time window', windows)}\n"
        '<main id="main">\n'
        f"{_frozen_note(board)}\n"
        f'<table class="board"><caption>{h(caption)}</caption>'
        '<thead><tr><th scope="col">Rank</th><th scope="col">Name</th>'
        '<th scope="col" class="num">Points</th><th scope="col" class="num">Solved</th>'
        "</tr></thead>"
        f'<tbody id="rows">{_rows(board)}</tbody></table>\n'
        f'<p class="meta"><span id="count">{h(board["learners"])}</span> '
        "learners on this board.</p>\n"
        "</main>"
    )
    live = {
        "page": "board",
        "cohort": cohort,
        "stream": f"/api/cohorts/{_u(cohort)}/stream?{urlencode(query)}",
    }
    return _layout(f"{caption} · {board['title']}", body, live=live)


def learner_page(view: dict[str, Any]) -> str:
    """Render a learner's progress per module."""
    cohort = view["cohort"]
    rows = []
    for m in view["modules"]:
        label = f"{m['points']} of {m['max_points']} points"
        rank = f"{m['rank']} of {m['learners']}" if m["rank"] else "—"
        rows.append(
            f'<tr><th scope="row"><a href="/c/{h(_u(cohort))}/m/{h(_u(m["module"]))}">'
            f"{h(m['module'])}</a></th>"
            f'<td><progress max="{h(max(m["max_points"], 1))}" '
            f'value="{h(m["points"] - m["bonus"])}" '
            f'aria-label="{h(m["module"])}: {h(label)}"></progress> '
            f'<span class="num">{h(m["points"])}/{h(m["max_points"])}</span></td>'
            f'<td class="num">{h(m["solved"])}/{h(m["tasks"])}</td>'
            f'<td class="num">{h(rank)}</td></tr>'
        )
    position = f"Rank {view['rank']} of {view['learners']}" if view["rank"] else "Not ranked yet"
    body = (
        f"<header><h1>{h(view['name'])}</h1>"
        '<p id="status" class="status" role="status" aria-live="polite">Connecting…</p></header>\n'
        f"{_nav('Boards', [('Overall board', f'/c/{_u(cohort)}', False)])}\n"
        '<main id="main">\n'
        f'<p class="summary"><strong id="total">{h(view["total"])}</strong> points · '
        f'<span id="position">{h(position)}</span></p>\n'
        '<table class="progress"><caption>Progress per module</caption>'
        '<thead><tr><th scope="col">Module</th><th scope="col">Points</th>'
        '<th scope="col" class="num">Solved</th><th scope="col" class="num">Module rank</th>'
        "</tr></thead>"
        f'<tbody id="modules">{"".join(rows)}</tbody></table>\n</main>'
    )
    live = {
        "page": "learner",
        "cohort": cohort,
        "stream": f"/api/cohorts/{_u(cohort)}/learners/{_u(view['learner'])}/stream",
    }
    return _layout(f"{view['name']} · {view['title']}", body, live=live)


def index_page(cohorts: list[tuple[str, str]], title: str) -> str:
    """Render the list of cohorts (name, title)."""
    items = "".join(
        f'<li><a href="/c/{h(_u(name))}">{h(ctitle)}</a></li>' for name, ctitle in cohorts
    )
    body = (
        f"<header><h1>{h(title)}</h1></header>\n"
        f'<main id="main"><h2>Cohorts</h2><ul class="cohorts">'
        f"{items or '<li>No cohorts yet.</li>'}</ul></main>"
    )
    return _layout(title, body)
