"""One contact sheet per screen width from the walk's screenshots (``make screens``).

The walk writes ``bench/out/screens/<slug>-<width>.png``; this puts every page of one width
side by side in a grid, each under its slug, scaled to a common column width and cut at a
fixed height (a sheet is for spotting what looks wrong; open the page's own PNG to read it),
and saves ``bench/out/screens/sheet-<width>.png``.

    .venv/bin/python scripts/contact_sheets.py
"""

from __future__ import annotations

import math
import re
import sys
from collections import defaultdict
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SCREENS = Path(__file__).resolve().parents[1] / "bench" / "out" / "screens"
COLUMN = 360  # px of each thumbnail
MAX_HEIGHT = 1400  # px: a very long page is cut here on the sheet
LABEL = 22
GAP = 12


def sheet_make(width: int, shots: list[tuple[str, Path]]) -> Path:
    column = min(COLUMN, width)  # a phone page is not enlarged
    columns = min(len(shots), 10 if width <= 768 else 6)
    scale = column / width
    thumbs = []
    for slug, path in shots:
        with Image.open(path) as image:
            image = image.convert("RGB")
            height = min(round(image.height * scale), MAX_HEIGHT)
            # Only the part that goes on the sheet is scaled (fast on very long pages).
            part = image.crop((0, 0, image.width, min(image.height, round(height / scale))))
            thumb = part.resize((column, height), Image.BILINEAR, reducing_gap=2.0)
            thumbs.append((slug, thumb, image.height * scale > height))
    rows = math.ceil(len(thumbs) / columns)
    row_heights = [
        max(t.height for _, t, _ in thumbs[r * columns : (r + 1) * columns]) + LABEL + GAP
        for r in range(rows)
    ]
    sheet = Image.new("RGB", (columns * (column + GAP) + GAP, sum(row_heights) + GAP), "#9aa5ae")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=16)
    y = GAP
    for r in range(rows):
        x = GAP
        for slug, thumb, cut in thumbs[r * columns : (r + 1) * columns]:
            draw.text((x, y + 2), slug + (" (top part)" if cut else ""), fill="#000", font=font)
            sheet.paste(thumb, (x, y + LABEL))
            x += column + GAP
        y += row_heights[r]
    out = SCREENS / f"sheet-{width}.png"
    sheet.save(out, compress_level=6)
    return out


def main() -> int:
    by_width: dict[int, list[tuple[str, Path]]] = defaultdict(list)
    for path in SCREENS.glob("*.png"):
        match = re.fullmatch(r"(?P<slug>[a-z0-9-]+)-(?P<width>\d+)", path.stem)
        if match and not path.stem.startswith("sheet-"):
            by_width[int(match["width"])].append((match["slug"], path))
    if not by_width:
        sys.exit(f"no screenshots in {SCREENS} (run the walk with A11Y_SCREENS=1 first)")
    for width in sorted(by_width):
        shots = sorted(by_width[width], key=lambda s: s[1].stat().st_mtime)  # walk order
        print(f"{sheet_make(width, shots)}: {len(shots)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
