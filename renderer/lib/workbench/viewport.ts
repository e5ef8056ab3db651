/**
 * The grid's vertical scrolling over any number of rows of one height. A browser cannot scroll
 * an element taller than some tens of millions of pixels (Chromium about 33.5M, Firefox about
 * 17.9M), and ten million rows of 25 px are 250M: so past MAX_SCROLL_PX the scrollbar is scaled
 * (its whole travel still spans every row, a pixel of scrollbar is then several rows) while a
 * wheel or keyboard step still moves row by row where the grid handles it. Below that the
 * mapping is one to one. A general-purpose virtualizer keeps a size per item (an array as long
 * as the table) and needs the items as an array: neither fits fifty million rows, this needs
 * neither. Pure: tested in Node.
 */

/** The tallest spacer the grid makes (well under every browser's limit). */
export const MAX_SCROLL_PX = 8_000_000;

export interface RowRange {
  /** First row (0-based) drawn. */
  first: number;
  /** Last row drawn (inclusive); -1 when there are none. */
  last: number;
  /** Where the first row's top is, in the spacer's coordinates (px). */
  top: number;
}

export class Viewport {
  constructor(
    /** Rows in the view. */
    readonly total: number,
    /** Height of a row (px). */
    readonly rowHeight: number,
    /** Height of the visible rows' area (px, without the sticky header). */
    readonly height: number,
    readonly maxPx = MAX_SCROLL_PX,
  ) {}

  /** The real height of every row. */
  get content(): number {
    return this.total * this.rowHeight;
  }

  /** The spacer's height (the rows' part of the scrollable height). */
  get spacer(): number {
    return Math.min(this.content, this.maxPx);
  }

  /** Real pixels per scrolled pixel (1 up to MAX_SCROLL_PX). */
  get ratio(): number {
    const real = this.content - this.height;
    const scroll = this.spacer - this.height;
    return real <= 0 || scroll <= 0 || this.content <= this.maxPx ? 1 : real / scroll;
  }

  /** Rows fully or partly visible at `scrollTop` (plus `overscan` rows on each side), and where to draw them. */
  range(scrollTop: number, overscan = 4): RowRange {
    if (this.total === 0 || this.height <= 0) return { first: 0, last: -1, top: 0 };
    const maxTop = Math.max(0, this.spacer - this.height);
    const st = Math.max(0, Math.min(scrollTop, maxTop));
    const virtual = st * this.ratio;
    const firstVisible = Math.min(this.total - 1, Math.floor(virtual / this.rowHeight));
    const first = Math.max(0, firstVisible - overscan);
    const last = Math.min(this.total - 1, Math.ceil((virtual + this.height) / this.rowHeight) - 1 + overscan);
    // The first visible row sits where its real offset falls inside the viewport.
    const top = st - (virtual - firstVisible * this.rowHeight) - (firstVisible - first) * this.rowHeight;
    return { first, last, top };
  }

  /** The visible rows at `scrollTop` (no overscan): [first, last]. */
  visibleRows(scrollTop: number): [number, number] {
    const r = this.range(scrollTop, 0);
    const fullyBelow = this.height / this.rowHeight;
    return [r.first, Math.min(r.last, r.first + Math.max(0, Math.floor(fullyBelow) - 1))];
  }

  /**
   * The scrollTop that shows row `index`: `nearest` scrolls the least (none when it is visible),
   * `start` puts it first, `center` in the middle.
   */
  scrollTopFor(index: number, current: number, align: 'nearest' | 'start' | 'center' = 'nearest'): number {
    const i = Math.max(0, Math.min(this.total - 1, index));
    const maxTop = Math.max(0, this.spacer - this.height);
    const ratio = this.ratio;
    const rowTop = i * this.rowHeight;
    let virtual: number;
    if (align === 'start') virtual = rowTop;
    else if (align === 'center') virtual = rowTop - (this.height - this.rowHeight) / 2;
    else {
      const now = Math.max(0, Math.min(current, maxTop)) * ratio;
      if (rowTop >= now && rowTop + this.rowHeight <= now + this.height) return current;
      virtual = rowTop < now ? rowTop : rowTop + this.rowHeight - this.height;
    }
    return Math.max(0, Math.min(maxTop, virtual / ratio));
  }
}
