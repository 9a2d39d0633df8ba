"""A tiny document model (sections of paragraphs, tables and plots) rendered to self-contained HTML and Markdown.

HTML embeds every plot as a base64 PNG, so the one file can be mailed or opened offline; Markdown links the
plot files by a relative path (as the README does). Paragraphs understand two inline marks: `code` and **bold**.
"""

from __future__ import annotations

import base64
import html
import math
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]
    caption: str = ""


@dataclass
class Plot:
    key: str  # plot dataset name; its PNG bytes (HTML) and relative path (Markdown) are looked up by it
    caption: str = ""


@dataclass
class Section:
    id: str  # stable anchor, also what the tests look for
    title: str
    blocks: list[str | Table | Plot] = field(default_factory=list)


def fmt(value: Any, digits: int = 3) -> str:
    """Table cell text: None/NaN -> "–", floats to ``digits`` decimals, big ints with thousands separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction in [0, 1] as a percentage."""
    return fmt(None if value is None else 100 * value, digits)


def si(value: float | None) -> str:
    """1.2e9 -> "1.20 G"."""
    if value is None:
        return "–"
    for factor, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f} {unit}"
    return f"{value:g}"


_CODE, _BOLD = re.compile(r"`([^`]+)`"), re.compile(r"\*\*([^*]+)\*\*")
_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#f3f3f3}td{text-align:right}td:first-child{text-align:left}caption{caption-side:top;text-align:left;
color:#555;padding:.2em 0}img{max-width:100%;border:1px solid #eee}figcaption{color:#555;font-size:.9em}
code{background:#f3f3f3;padding:0 .2em}nav a{margin-right:1em}h2{border-bottom:1px solid #ddd;padding-top:.6em}"""


def _inline_html(text: str) -> str:
    return _BOLD.sub(r"<b>\1</b>", _CODE.sub(r"<code>\1</code>", html.escape(text)))


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{_inline_html(fmt(c))}</td>" for c in row) + "</tr>" for row in table.rows)
    caption = f"<caption>{_inline_html(table.caption)}</caption>" if table.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(title: str, intro: list[str], sections: list[Section], pngs: dict[str, bytes]) -> str:
    """One self-contained HTML page; every plot of ``sections`` must be in ``pngs``."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"]
    parts += [f"<p>{_inline_html(p)}</p>" for p in intro]
    parts.append("<nav>" + "".join(f"<a href='#{s.id}'>{html.escape(s.title)}</a>" for s in sections) + "</nav>")
    for section in sections:
        parts.append(f"<section id='{section.id}'><h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Table):
                parts.append(_table_html(block))
            elif isinstance(block, Plot):
                data = base64.b64encode(pngs[block.key]).decode()
                parts.append(f"<figure><img alt='{html.escape(block.key)}' src='data:image/png;base64,{data}'>"
                             f"<figcaption>{_inline_html(block.caption)}</figcaption></figure>")
            else:
                parts.append(f"<p>{_inline_html(block)}</p>")
        parts.append("</section>")
    return "\n".join(parts + ["</body></html>"]) + "\n"


def _cell_md(value: Any) -> str:
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, intro: list[str], sections: list[Section], plot_paths: dict[str, str]) -> str:
    """The Markdown twin; plots are linked by the relative paths in ``plot_paths``."""
    lines = [f"# {title}", "", *[p + "\n" for p in intro]]
    lines += ["Sections: " + " · ".join(f"[{s.title}](#{s.id})" for s in sections), ""]
    for section in sections:
        lines += [f'<a id="{section.id}"></a>', "", f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                if block.caption:
                    lines += [f"*{block.caption}*", ""]
                lines += ["| " + " | ".join(map(str, block.header)) + " |",
                          "|" + "|".join(["---"] + ["---:"] * (len(block.header) - 1)) + "|"]
                lines += ["| " + " | ".join(_cell_md(c) for c in row) + " |" for row in block.rows]
                lines.append("")
            elif isinstance(block, Plot):
                lines += [f"![{block.caption or block.key}]({plot_paths[block.key]})", "", f"*{block.caption}*", ""]
            else:
                lines += [block, ""]
    return "\n".join(lines).rstrip() + "\n"
