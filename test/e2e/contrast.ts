// WCAG 2.1 contrast (success criterion 1.4.3) of an element's text against what it is drawn on, read
// from the computed styles: the text's colour, and the first background in it or its ancestors
// that is not transparent. axe-core checks the same, but only for what is on screen when it runs;
// these name the elements a test has brought on screen itself (a badge, a dialog's field).
import type { Locator } from '@playwright/test';

export interface Contrast { ratio: number; color: string; background: string }

export function contrastOf(target: Locator): Promise<Contrast> {
  return target.evaluate((el) => {
    const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const lin = (c: number) => { const s = c / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
    };
    const color = getComputedStyle(el).color;
    let background = 'rgb(255, 255, 255)';
    for (let node: Element | null = el; node; node = node.parentElement) {
      const bg = getComputedStyle(node).backgroundColor;
      const parts = rgb(bg);
      if (parts.length === 3 || (parts.length === 4 && parts[3]! > 0)) { background = bg; break; }
    }
    const [a, b] = [luminance(rgb(color)), luminance(rgb(background))];
    return { ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), color, background };
  });
}
