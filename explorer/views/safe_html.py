"""Text that came from outside (a link, a lesson file, a checkpoint or sweep name, an API value) made safe to
show in the page: escaped, never rendered as HTML or Markdown. No Gradio here.

- :func:`text`: any value as escaped HTML text.
- :func:`emphasis`: a lesson's or a message's text as HTML in which only ``**bold**``, ``*italic*`` and
  `` `code` `` mean anything; a blank line starts a new paragraph. Everything else, ``<form>``, ``[a](b)``
  and ``<img>`` included, is shown as the characters it is.
"""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", re.S)
_CODE = re.compile(r"`([^`\n]+)`")


def text(value) -> str:
    """``value`` as HTML text content (not an attribute's value): every character shown as itself."""
    return html.escape(str(value), quote=False)


def emphasis(value: str) -> str:
    """``value`` escaped, then ``**bold**``, ``*italic*`` and `` `code` `` as <b>, <i>, <code>; paragraphs
    (blank lines) as <p>, single newlines as spaces."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", str(value)) if p.strip()]
    return "".join(f"<p>{inline(paragraph)}</p>" for paragraph in paragraphs)


def inline(value: str) -> str:
    """:func:`emphasis` of one line: no paragraphs, every newline a space."""
    escaped = html.escape(" ".join(line.strip() for line in str(value).splitlines()), quote=False)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _ITALIC.sub(r"<i>\1</i>", escaped)
