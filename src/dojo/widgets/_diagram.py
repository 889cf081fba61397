"""The live architecture diagram: what exists in a cloud, how it is wired, a trace replay."""

from __future__ import annotations

import contextlib
import json
import weakref
from typing import Any

import ipywidgets as widgets

from ._discover import DEFAULT_SERVICES, discover
from ._graph import Architecture, escape
from ._replay import PlacedHop, add_observed, is_flow, overlay, place
from ._svg import render_svg

__all__ = ["ArchitectureDiagram"]


def _hops_of(cloud: Any) -> list[Any]:
    trace = getattr(cloud, "trace", None)
    return list(trace) if trace is not None else []


_PAYLOAD_KEYS = ("payload", "event", "body", "message", "records")


def _decode(value: Any) -> Any:
    """JSON text inside a hop (an event body) decoded for display; anything else unchanged."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def payload_html(placed: PlacedHop | None) -> str:
    """The payload viewer's content: the event payload (when the hop carries one) and the hop.

    Everything is pretty-printed JSON, escaped. A payload is looked for in the hop's ``detail``
    under ``payload``, ``event``, ``body``, ``message`` or ``records``.
    """
    if placed is None:
        return (
            "<div class='dojo-payload'><i>Move the slider or press play to inspect a hop.</i></div>"
        )
    data = placed.as_dict()
    raw_detail = data.get("detail")
    detail: dict[str, Any] = raw_detail if isinstance(raw_detail, dict) else {}
    payload = next((_decode(detail[k]) for k in _PAYLOAD_KEYS if k in detail), None)
    pre = "<pre style='max-height:16em;overflow:auto;background:#f5f5f5;padding:6px'>"
    parts = [
        f"<div class='dojo-payload'><b>hop #{escape(data.get('seq', ''))}</b> "
        f"<code>{escape(data.get('source', ''))} → {escape(data.get('target', ''))}</code> "
        f"<span data-outcome='{escape(placed.outcome)}'>{escape(placed.outcome)}</span>"
    ]
    if payload is not None:
        text = json.dumps(payload, indent=2, default=str)
        parts.append(f"<div><i>event payload</i></div>{pre}<span class='dojo-event'>")
        parts.append(f"{escape(text)}</span></pre><div><i>hop</i></div>")
    parts.append(f"{pre}{escape(json.dumps(data, indent=2, default=str))}</pre></div>")
    return "".join(parts)


class ArchitectureDiagram(widgets.VBox):
    """A live diagram of a local cloud, with a trace replay and a payload viewer.

    It lists resources and wiring through boto3 (S3 notifications, SNS subscriptions, event source
    mappings, EventBridge rules and targets, API integrations, Step Functions tasks, DLQs,
    redrive policies and destinations), adds what the trace saw (a function writing to a table),
    and redraws after every notebook cell when ``auto_refresh`` is on. Press play (or move the
    slider) to replay ``cloud.trace`` hop by hop: the hop's path is drawn in its outcome's colour,
    failed hops turn their edges red and dead letters show as badges on the DLQ.

    In exported HTML (nbconvert, nbgrader feedback) the widget cannot run, so the output also
    carries the diagram as a static SVG.

    Args:
        cloud: A ``dojo.cloud.LocalCloud`` (or anything with ``client(service)`` and ``trace``).
        region: Region to draw (default: the cloud's).
        observed: Add edges seen in the trace but not configured (dotted grey).
        auto_refresh: Redraw after each cell that IPython runs.
        api_calls: Replay control-plane API calls (CreateBucket ...) too, not just data flow.
        title: Caption above the diagram.

    Example:
        >>> cloud = dojo.cloud.LocalCloud().start()
        >>> diagram = dojo.widgets.ArchitectureDiagram(cloud)
        >>> diagram          # last expression of a cell: shows the live widget
    """

    def __init__(
        self,
        cloud: Any,
        *,
        region: str | None = None,
        observed: bool = True,
        auto_refresh: bool = True,
        api_calls: bool = False,
        title: str | None = None,
        interval_ms: int = 900,
    ) -> None:
        self.cloud = cloud
        self.region = region
        self.observed = observed
        self.title = title
        self.architecture = Architecture(region=region or str(getattr(cloud, "region", "") or ""))
        self.hops: list[PlacedHop] = []
        self._static_display_id: str | None = None
        self._signature: Any = None
        self._problem = ""
        self._hook: tuple[Any, Any] | None = None
        self.view = widgets.HTML(layout=widgets.Layout(overflow="auto", width="100%"))
        self.play = widgets.Play(
            value=0,
            min=0,
            max=0,
            step=1,
            interval=interval_ms,
            description="Replay",
            show_repeat=False,
        )
        self.step = widgets.IntSlider(
            value=0,
            min=0,
            max=0,
            description="hop",
            continuous_update=True,
            layout=widgets.Layout(width="420px"),
        )
        widgets.jslink((self.play, "value"), (self.step, "value"))
        self.refresh_button = widgets.Button(
            description="Refresh", icon="refresh", tooltip="Look at the cloud again"
        )
        self.api_toggle = widgets.Checkbox(
            value=api_calls,
            description="replay API calls",
            indent=False,
            layout=widgets.Layout(width="150px"),
        )
        self.status = widgets.HTML()
        self.payload = widgets.HTML(payload_html(None))
        self.step.observe(self._on_step, names="value")
        self.api_toggle.observe(lambda _change: self.refresh(), names="value")
        self.refresh_button.on_click(lambda _button: self.refresh())
        toolbar = widgets.HBox([self.play, self.step, self.refresh_button, self.api_toggle])
        super().__init__([toolbar, self.view, self.status, self.payload])
        self.add_class("dojo-diagram")
        self.refresh()
        if auto_refresh:
            self._register_auto_refresh()

    # -- state -----------------------------------------------------------------------------------
    def refresh(self, _discovered: Architecture | None = None) -> Architecture:
        """Look at the cloud again (resources, wiring, trace) and redraw.

        When the cloud cannot be asked (e.g. it was stopped), the last picture stays and the
        status line says why.
        """
        problem = ""
        if getattr(self.cloud, "running", True) is False:
            arch = self.architecture
            problem = "Showing the last state: the cloud is stopped."
        else:
            arch = (
                _discovered if _discovered is not None else discover(self.cloud, region=self.region)
            )
            if not arch.nodes and len(arch.problems) == len(DEFAULT_SERVICES):
                problem = f"Showing the last state: the cloud did not answer ({arch.problems[0]})."
                arch = self.architecture
        hops = _hops_of(self.cloud)
        if self.observed and arch is not self.architecture:
            add_observed(arch, hops)
        flow = hops if self.api_toggle.value else [h for h in hops if is_flow(h)]
        self.architecture = arch
        self.hops = [place(h, arch) for h in flow]
        at_end = self.step.value >= self.step.max
        self.step.max = self.play.max = len(self.hops)
        if at_end:
            self.step.value = 0
        self._problem = problem
        self._render()
        return arch

    @property
    def current(self) -> PlacedHop | None:
        """The hop the replay shows (None at position 0, the overview)."""
        index = self.step.value
        return self.hops[index - 1] if 0 < index <= len(self.hops) else None

    def show_hop(self, index: int) -> PlacedHop | None:
        """Move the replay to hop ``index`` (1-based; 0 = overview) and return it."""
        self.step.value = max(0, min(index, len(self.hops)))
        return self.current

    def svg(self, *, animate: bool = False) -> str:
        """The diagram as it is now (overview or the replayed hop) as a standalone SVG string."""
        current = self.current
        upto = self.hops[: self.step.value] if current is not None else self.hops
        return render_svg(
            self.architecture,
            overlay=overlay(self.architecture, [p.hop for p in upto]),
            current=current,
            title=self._caption(),
            animate=animate,
        )

    def _caption(self) -> str:
        base = self.title or f"Local cloud · {self.architecture.region or 'region'}"
        return f"{base} — {len(self.architecture.nodes)} resources, {len(self.hops)} hops"

    def _render(self) -> None:
        svg = self.svg(animate=True)
        hide = f"<style>.dojo-static-{escape(self.model_id)}{{display:none}}</style>"
        self.view.value = hide + svg
        counts = {
            o: sum(1 for p in self.hops if p.outcome == o)
            for o in ("ok", "error", "throttled", "dropped")
        }
        failed = counts["error"] + counts["throttled"] + counts["dropped"]
        status = (
            f"{len(self.architecture.nodes)} resources · {len(self.architecture.edges)} wires · "
            f"{len(self.hops)} hops ({counts['ok']} ok, {failed} failed)"
        )
        notes = list(self.architecture.problems) + ([self._problem] if self._problem else [])
        self.status.value = f"<small>{escape(status)}</small>" + "".join(
            f"<br><small style='color:#c62828'>{escape(n)}</small>" for n in notes
        )
        self.payload.value = payload_html(self.current)
        self._update_static()

    def _on_step(self, _change: Any) -> None:
        self._render()

    # -- auto refresh ----------------------------------------------------------------------------
    def _register_auto_refresh(self) -> None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython ships with ipywidgets
            return
        shell = get_ipython()
        if shell is None:
            return
        ref = weakref.ref(self)

        def after_cell(_result: Any = None) -> None:
            diagram = ref()
            if diagram is None:
                shell.events.unregister("post_run_cell", after_cell)
                return
            try:
                diagram._refresh_if_changed()
            except Exception as exc:  # never break the learner's next cell
                diagram.status.value = (
                    f"<small style='color:#c62828'>Could not redraw: {escape(type(exc).__name__)}: "
                    f"{escape(exc)}</small>"
                )

        shell.events.register("post_run_cell", after_cell)
        self._hook = (shell, after_cell)

    def _refresh_if_changed(self) -> None:
        if getattr(self.cloud, "running", True) is False:
            return
        arch = discover(self.cloud, region=self.region)
        signature = (arch.signature(), len(_hops_of(self.cloud)))
        if signature != self._signature:
            self._signature = signature
            self.refresh(arch)

    def close(self) -> None:
        """Stop refreshing after cells and close the widget."""
        if self._hook is not None:
            shell, callback = self._hook
            with contextlib.suppress(ValueError):
                shell.events.unregister("post_run_cell", callback)
            self._hook = None
        super().close()

    # -- display ---------------------------------------------------------------------------------
    def _static_html(self) -> str:
        return (
            f"<div class='dojo-static-{escape(self.model_id)} dojo-diagram-static'>"
            f"{self.svg(animate=False)}</div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        svg = self.svg(animate=False)
        bundle["text/html"] = f"<div class='dojo-diagram-static'>{svg}</div>"
        bundle["image/svg+xml"] = svg
        return bundle

    def _ipython_display_(self, **kwargs: Any) -> None:
        """Show the live widget, then a static copy that the live widget hides.

        nbconvert prefers the widget view when exporting, which needs JavaScript and a CDN; the
        second output keeps a plain SVG in the notebook for exports and feedback (and for
        front ends without widgets). The live widget carries a style rule that hides that copy
        wherever the widget itself renders, so nobody sees the diagram twice. (Only the
        second output carries the SVG, so front ends without widget support show it once.)
        """
        from IPython.display import display

        live = {
            k: v
            for k, v in self._repr_mimebundle_().items()
            if k not in ("text/html", "image/svg+xml")
        }
        display(live, raw=True)
        self._static_display_id = f"dojo-diagram-{self.model_id}"
        display(
            {"text/html": self._static_html(), "text/plain": repr(self)},
            raw=True,
            display_id=self._static_display_id,
        )

    def _update_static(self) -> None:
        if self._static_display_id is None:
            return
        from IPython.display import update_display

        update_display(
            {"text/html": self._static_html(), "text/plain": repr(self)},
            raw=True,
            display_id=self._static_display_id,
        )

    def __repr__(self) -> str:
        return (
            f"<ArchitectureDiagram {len(self.architecture.nodes)} resources, "
            f"{len(self.architecture.edges)} wires, {len(self.hops)} hops>"
        )
