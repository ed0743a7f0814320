/**
 * xterm.js writes its theme and cell sizes into `<style>` elements it creates, which the app's
 * Content-Security-Policy (`style-src 'self'`, no 'unsafe-inline': docs/security.md) refuses. While
 * xterm builds its DOM, `document.createElement('style')` hands it an inert element instead whose
 * `textContent` goes into a constructed stylesheet adopted by the document — CSSOM, which the
 * policy allows — so the terminal is styled without weakening the policy.
 */
export function withAdoptedStyles<T>(build: () => T): { result: T; dispose: () => void } {
  const sheets: CSSStyleSheet[] = [];
  const original = document.createElement.bind(document);
  const patched = ((tag: string, options?: ElementCreationOptions) => {
    if (tag.toLowerCase() !== 'style') return original(tag, options);
    const sheet = new CSSStyleSheet();
    sheets.push(sheet);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    const holder = original('template');
    let text = '';
    Object.defineProperty(holder, 'textContent', {
      get: () => text,
      set: (value: string) => {
        text = value ?? '';
        sheet.replaceSync(text);
      },
    });
    const remove = holder.remove.bind(holder);
    holder.remove = () => {
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
      remove();
    };
    return holder;
  }) as typeof document.createElement;
  // Only xterm's own calls during `build` and the renders it schedules see the patch.
  document.createElement = patched;
  let result: T;
  try {
    result = build();
  } finally {
    document.createElement = original;
  }
  return {
    result,
    dispose: () => {
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => !sheets.includes(s));
    },
  };
}
