"""A small subset of API Gateway's mapping-template language (VTL) for direct integrations.

Supported: ``$input.body``, ``$input.json('$.path')``, ``$input.path('$.path')``,
``$input.params('name')``, ``$context.<field>`` (one level, e.g. ``$context.requestId``),
``$stageVariables.<name>``, ``$util.escapeJavaScript(x)``, ``$util.urlEncode(x)``,
``$util.base64Encode(x)``, ``$util.base64Decode(x)``, ``$util.parseJson(x)`` and ``$!{...}``/
``${...}`` forms. Directives (``#if``, ``#foreach``, ``#set``) raise
:class:`~dojo.cloud.LocalCloudGap` rather than being rendered wrongly.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote_plus

from ._errors import LocalCloudGap

__all__ = ["json_path", "render"]

_DIRECTIVE = re.compile(
    r"(?m)^\s*#(if|foreach|set|elseif|else|end|macro|define)\b|#\{?(if|foreach|set)\b"
)
_REF = re.compile(r"\$!?\{?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")


def json_path(document: Any, path: str) -> Any:
    """Evaluate a simple JSONPath (``$``, ``$.a.b``, ``$.a[0]``, ``$['a']``) on ``document``."""
    path = path.strip()
    if not path.startswith("$"):
        raise LocalCloudGap(f"JSONPath {path!r} in a mapping template", hint="Start it with '$'.")
    value = document
    for name, index, quoted in re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\['([^']*)'\]", path[1:]):
        key = name or quoted
        if key:
            value = value.get(key) if isinstance(value, dict) else None
        else:
            value = (
                value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
            )
        if value is None:
            return None
    return value


class _Scope:
    def __init__(
        self,
        body: bytes | None,
        params: dict[str, dict[str, str]],
        context: dict[str, Any],
        stage_variables: dict[str, str],
    ) -> None:
        self.body_text = (body or b"").decode("utf-8", errors="replace")
        self.params = params
        self.context = context
        self.stage_variables = stage_variables

    def parsed_body(self) -> Any:
        try:
            return json.loads(self.body_text) if self.body_text.strip() else {}
        except ValueError:
            return {}

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "input.json":
            return json.dumps(json_path(self.parsed_body(), str(args[0] if args else "$")))
        if name == "input.path":
            return json_path(self.parsed_body(), str(args[0] if args else "$"))
        if name == "input.params":
            if not args:
                return self.params
            wanted = str(args[0])
            for group in ("path", "querystring", "header"):
                for key, value in self.params.get(group, {}).items():
                    if key == wanted or (group == "header" and key.lower() == wanted.lower()):
                        return value
            return ""
        if name == "util.escapeJavaScript":
            return json.dumps(_text(args[0]))[1:-1].replace("'", "\\'")
        if name == "util.urlEncode":
            return quote_plus(_text(args[0]))
        if name == "util.urlDecode":
            from urllib.parse import unquote_plus

            return unquote_plus(_text(args[0]))
        if name == "util.base64Encode":
            return base64.b64encode(_text(args[0]).encode()).decode()
        if name == "util.base64Decode":
            return base64.b64decode(_text(args[0])).decode()
        if name == "util.parseJson":
            return json.loads(_text(args[0]))
        raise LocalCloudGap(f"the mapping-template function ${name}()")

    def lookup(self, name: str) -> Any:
        if name == "input.body":
            return self.body_text
        head, _, rest = name.partition(".")
        if head == "context":
            value: Any = self.context
            for part in rest.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            return value
        if head == "stageVariables":
            return self.stage_variables.get(rest)
        raise LocalCloudGap(f"the mapping-template variable ${name}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class _Parser:
    def __init__(self, template: str, scope: _Scope) -> None:
        self.t = template
        self.i = 0
        self.scope = scope

    def render(self) -> str:
        out: list[str] = []
        while self.i < len(self.t):
            match = _REF.match(self.t, self.i) if self.t[self.i] == "$" else None
            if match is None:
                out.append(self.t[self.i])
                self.i += 1
                continue
            start = self.i
            quiet = self.t.startswith("$!", start)
            braced = "{" in self.t[start : match.start(1)]
            self.i = match.end()
            value = self._finish_reference(match.group(1))
            if braced and self.i < len(self.t) and self.t[self.i] == "}":
                self.i += 1
            if value is None:
                out.append("" if quiet else self.t[start : self.i])
            else:
                out.append(_text(value) if not isinstance(value, bool) else str(value).lower())
        return "".join(out)

    def _finish_reference(self, name: str) -> Any:
        if self.i < len(self.t) and self.t[self.i] == "(":
            self.i += 1
            args = self._args()
            return self.scope.call(name, args)
        return self.scope.lookup(name)

    def _args(self) -> list[Any]:
        args: list[Any] = []
        while self.i < len(self.t):
            ch = self.t[self.i]
            if ch == ")":
                self.i += 1
                return args
            if ch in ", \t\n":
                self.i += 1
            elif ch in "'\"":
                end = self.t.index(ch, self.i + 1)
                args.append(self.t[self.i + 1 : end])
                self.i = end + 1
            elif ch == "$":
                match = _REF.match(self.t, self.i)
                if match is None:
                    raise LocalCloudGap(
                        f"mapping-template argument at {self.t[self.i : self.i + 20]!r}"
                    )
                self.i = match.end()
                args.append(self._finish_reference(match.group(1)))
            else:
                raise LocalCloudGap(
                    f"mapping-template argument at {self.t[self.i : self.i + 20]!r}"
                )
        raise LocalCloudGap("a mapping template with an unclosed '('")


def render(
    template: str,
    *,
    body: bytes | None,
    params: dict[str, dict[str, str]] | None = None,
    context: dict[str, Any] | None = None,
    stage_variables: dict[str, str] | None = None,
) -> str:
    """Render ``template`` the way API Gateway would (for the supported subset).

    Raises:
        LocalCloudGap: for directives and functions outside the subset.
    """
    found = _DIRECTIVE.search(template)
    if found:
        raise LocalCloudGap(
            f"the mapping-template directive #{found.group(1) or found.group(2)}",
            hint="The local cloud renders references ($input, $context, $util) but no directives.",
        )
    scope = _Scope(body, params or {}, context or {}, stage_variables or {})
    return _Parser(template, scope).render()
