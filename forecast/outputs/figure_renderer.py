"""The report figures' Agg canvas: matplotlib's pixels, with less Python per text.

matplotlib 3.11's Agg renderer draws text glyph by glyph in Python, building the same
rotation matrix with numpy for every glyph, and it measures each text with FreeType
once per renderer, i.e. once per figure (its metrics cache is tied to the renderer).
The report draws ~20 figures whose tick labels, axis labels and legends repeat. This
renderer makes the same FreeType and Agg calls with the same arguments, so the pixels
are the same (``tests/outputs/test_figure_cost.py`` compares every figure of the seed
with matplotlib's stock renderer), but:

- the rotation matrix of a text is computed once, not once per glyph;
- a text's size (width, height, descent) is remembered for the process, keyed by
  everything FreeType's answer depends on: the text, the font files the font
  properties resolve to, the size, the dpi and the hinting settings;
- a font's ascent, descent and line gap (read from its tables by ``Text._get_layout``
  for every text laid out, through matplotlib's ``_get_font_height_metrics`` hook of
  a renderer) are computed as matplotlib does, once per font, size and dpi.
- the font files a text's properties resolve to are looked up once per renderer (one
  figure), not for every text measured or drawn.

matplotlib is imported inside the functions (``forecast run`` imports it lazily);
:func:`canvas` builds the class on first use.

Examples
--------
>>> from matplotlib.figure import Figure
>>> canvas(Figure(figsize=(1, 1), dpi=110)).get_renderer().__class__.__name__
'TextCachingRenderer'
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

#: at most this many text sizes remembered (a report measures a few hundred)
MAX_TEXTS = 20_000


def canvas(fig: Figure) -> FigureCanvasAgg:
    """An Agg canvas for ``fig`` whose renderer is :class:`TextCachingRenderer`."""
    return _classes()[0](fig)


@functools.cache
def _classes() -> tuple[type, type]:
    """The canvas and renderer classes, made once matplotlib is imported."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
    from matplotlib.font_manager import fontManager, get_font
    from matplotlib.ft2font import RenderMode

    sizes: dict[tuple[Any, ...], tuple[float, float, float]] = {}
    heights: dict[tuple[Any, ...], Any] = {}

    class TextCachingRenderer(RendererAgg):
        """``RendererAgg`` with text sizes remembered across renderers and each text's
        rotation matrix computed once (module docstring); the same pixels."""

        def _font_files(self, prop: Any) -> tuple[Any, ...]:
            """``fontManager._find_fonts_by_props(prop)``, remembered for this renderer's
            life (one figure's drawing, under one set of rcParams): matplotlib looks the
            font files up again for every text it measures or draws."""
            files = self.__dict__.setdefault("_files_by_props", {})
            got = files.get(prop)
            if got is None:
                got = files[prop.copy()] = tuple(fontManager._find_fonts_by_props(prop))
            return got

        def _prepare_font(self, font_prop: Any) -> Any:
            """``RendererAgg._prepare_font`` with the font files of :meth:`_font_files`."""
            font = get_font(self._font_files(font_prop))
            font.clear()
            font.set_size(font_prop.get_size_in_points(), self.dpi)
            return font

        def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any) -> Any:
            if ismath:  # mathtext and TeX: matplotlib's own way
                return super().get_text_width_height_descent(s, prop, ismath)
            key = (
                s,
                self._font_files(prop),
                prop.get_size_in_points(),
                self.dpi,
                get_hinting_flag(),
                mpl.rcParams["text.hinting_factor"],
                mpl.rcParams["text.kerning_factor"],
            )
            got = sizes.get(key)
            if got is None:
                got = super().get_text_width_height_descent(s, prop, ismath)
                if len(sizes) >= MAX_TEXTS:
                    sizes.clear()
                sizes[key] = got
            return got

        def _get_font_height_metrics(self, prop: Any) -> tuple[float, float, float] | tuple[None, None, None]:
            """A font's ascent, descent and line gap at its size, for ``Text._get_layout``
            (which otherwise reads them from the font's tables for every text it lays out),
            computed as it does and remembered for the process."""
            files = self._font_files(prop)
            key = ("height", files, prop.get_size_in_points(), self.dpi)
            got = heights.get(key)
            if got is None:
                got = heights[key] = _font_height_metrics(
                    get_font(files), prop.get_size_in_points(), self.dpi
                )
            return got

        def _draw_text_glyphs_and_boxes(
            self, gc: Any, x: float, y: float, angle: float, glyphs: Any, boxes: Any
        ) -> None:
            """``RendererAgg._draw_text_glyphs_and_boxes`` for text without boxes (plain
            text; mathtext and TeX keep matplotlib's), each glyph rendered by the same calls."""
            boxes = list(boxes)
            if boxes:
                return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
            import numpy as np

            cos = math.cos(math.radians(angle))
            sin = math.sin(math.radians(angle))
            load_flags = get_hinting_flag()
            antialiased = gc.get_antialiased()
            mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
            height, dpi, draw = self.height, self.dpi, self._renderer.draw_text_image
            matrices: dict[tuple[float, float], Any] = {}
            for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards
                matrix = matrices.get((slant, extend))
                if matrix is None:
                    matrix = matrices[slant, extend] = (
                        (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[extend, extend * slant], [0, 1]])
                        .round()
                        .astype(int)
                    )
                font.set_size(size, dpi)
                font._set_transform(
                    matrix,
                    [
                        round(0x40 * (x + dx * cos - dy * sin)),
                        round(0x40 * (height - y + dx * sin + dy * cos)),
                    ],
                )
                bitmap = font._render_glyph(glyph_index, load_flags, mode)
                buffer = bitmap.buffer
                if not antialiased:
                    buffer *= 0xFF
                # draw_text_image's y is downwards and the bitmap's bottom side
                draw(buffer, bitmap.left, int(height) - bitmap.top + buffer.shape[0], 0, gc)
            return None

    class TextCachingCanvas(FigureCanvasAgg):
        """``FigureCanvasAgg`` drawing with :class:`TextCachingRenderer`."""

        def get_renderer(self) -> Any:
            w, h = self.get_width_height(physical=True)
            key = w, h, self.figure.dpi
            if self._lastKey != key:
                self.renderer = TextCachingRenderer(w, h, self.figure.dpi)
                self._lastKey = key
            return self.renderer

    return TextCachingCanvas, TextCachingRenderer


def _font_height_metrics(font: Any, points: float, dpi: float) -> Any:
    """``(ascent, descent, line gap)`` in pixels from the font's OS/2 or hhea table, as
    ``matplotlib.text.Text._get_layout`` computes them; ``(None, None, None)`` (measure
    instead) when the font has neither table."""
    for table_name, gap, ascent, descent in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * points * dpi / 72
        return table[ascent] * scale, -table[descent] * scale, table[gap] * scale
    return None, None, None


__all__ = ["canvas"]
