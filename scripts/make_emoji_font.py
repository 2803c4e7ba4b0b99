"""Rebuild bot/sandbox/static/emoji.ttf: the emoji the bot and the sandbox page use, cut from
Noto Color Emoji (SIL OFL 1.1, see bot/sandbox/static/emoji-OFL.txt), renamed "Sandbox Emoji".

The page ships it so a machine without an emoji font still shows the topic toggles (✅/⬜), 👍/👎
and ⏹ instead of empty boxes. Run after adding an emoji to a catalog or the page:

    pip install fonttools && python scripts/make_emoji_font.py [/path/to/NotoColorEmoji.ttf]

(Debian: apt-get install fonts-noto-color-emoji.) Not a runtime dependency: the output is committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "bot" / "sandbox" / "static"
PAGE = ("app.js", "app.css", "index.html")
SOURCES = [*sorted((ROOT / "tips").rglob("*.yaml")), *(STATIC / name for name in PAGE)]
DEFAULT_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
# Arrows, shapes and blocks the page's text fonts draw well: left out, or they'd turn colour.
TEXT_SYMBOLS = set("→↗↩⌨▶◀●█░✓")
FAMILY = "Sandbox Emoji"
CSS = """/* Made by scripts/make_emoji_font.py: the bot's emoji, from Noto Color Emoji (OFL). */
@font-face {{
  font-family: "{family}";
  src: url("/static/emoji.ttf") format("truetype");
  font-display: block;
  unicode-range: {ranges};
}}
"""


def wanted(font: TTFont) -> list[int]:
    """Return the code points of every emoji the catalogs, tips and page use that the font has."""
    cmap = font.getBestCmap()
    found = set()
    for path in SOURCES:
        for char in path.read_text(encoding="utf-8"):
            code = ord(char)
            if code >= 0x2000 and char not in TEXT_SYMBOLS and code in cmap:
                found.add(code)
    return sorted(found | {0x200D, 0xFE0F} & set(cmap))


def main() -> None:
    """Subset and rename the font into the page's static files."""
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FONT
    font = TTFont(source)
    codes = wanted(font)
    options = subset.Options()
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codes)
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = FAMILY
        elif record.nameID == 6:
            record.string = FAMILY.replace(" ", "")
    out = STATIC / "emoji.ttf"
    font.save(out)
    ranges = ", ".join(f"U+{c:X}" for c in codes)
    (STATIC / "emoji.css").write_text(CSS.format(family=FAMILY, ranges=ranges), encoding="utf-8")
    print(f"{out.relative_to(ROOT)}: {len(codes)} code points, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
