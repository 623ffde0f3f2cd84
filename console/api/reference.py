"""A readable reference page of the integration API, rendered from its OpenAPI document (so it
never drifts from the routes) with autoescaping Jinja2: no text in it is trusted as HTML. It
needs no script or stylesheet from elsewhere, unlike Swagger UI or ReDoc, which load from a CDN."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, select_autoescape

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ doc.info.title }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2937}
h2{margin-top:2.5rem;border-bottom:1px solid #e5e7eb}
.op{border:1px solid #e5e7eb;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
.m{font-weight:700;font-family:monospace;margin-right:.5rem}
code,pre{background:#f3f4f6;border-radius:4px;padding:.1rem .3rem}
pre{padding:.75rem;overflow-x:auto;font-size:.85rem}
table{border-collapse:collapse}td,th{border:1px solid #e5e7eb;padding:.25rem .5rem;text-align:left}
</style></head><body>
<h1>{{ doc.info.title }}</h1>
<p>Base URL: <code>{{ base }}</code> &middot; OpenAPI document:
<a href="{{ base }}/openapi.json">{{ base }}/openapi.json</a></p>
{% for para in doc.info.description.split("\\n\\n") %}<p>{{ para }}</p>{% endfor %}
{% for tag, ops in groups %}<h2>{{ tag }}</h2>
{% for op in ops %}<div class="op" id="{{ op.id }}">
<div><span class="m">{{ op.method }}</span><code>{{ base }}{{ op.path }}</code> &mdash; {{ op.summary }}</div>
{% if op.description %}<p>{{ op.description }}</p>{% endif %}
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code></td><td>{{ p["in"] }}</td>
<td>{{ "yes" if p.required else "no" }}</td><td>{{ p.type }}</td></tr>{% endfor %}
</table>{% endif %}
{% if op.body %}<p>Request body ({{ op.body_types }}): <code>{{ op.body }}</code></p>{% endif %}
<p>Answers: {% for status, text in op.responses %}<code>{{ status }}</code> {{ text }}
{%- if not loop.last %}; {% endif %}{% endfor %}</p>
</div>{% endfor %}{% endfor %}
<h2>Schemas</h2>
{% for name, schema in schemas %}<h3 id="{{ name }}">{{ name }}</h3><pre>{{ schema }}</pre>{% endfor %}
</body></html>"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    return str(schema.get("type", "any"))


def _operations(doc: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, methods in doc.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {})
            groups.setdefault((op.get("tags") or ["other"])[0], []).append(
                {
                    "id": op.get("operationId", f"{method}{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {**p, "type": _type(p.get("schema", {}))} for p in op.get("parameters", [])
                    ],
                    "body": " or ".join(_type(c.get("schema", {})) for c in body.values()),
                    "body_types": ", ".join(body),
                    "responses": [(s, r.get("description", "")) for s, r in op.get("responses", {}).items()],
                }
            )
    return sorted(groups.items())


def render(doc: dict[str, Any], *, base: str) -> str:
    schemas = sorted(
        (name, json.dumps(schema, indent=2))
        for name, schema in doc.get("components", {}).get("schemas", {}).items()
    )
    return _env.from_string(_TEMPLATE).render(doc=doc, base=base, groups=_operations(doc), schemas=schemas)
