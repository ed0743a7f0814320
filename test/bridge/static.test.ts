import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, resolveStatic } from '../../app/bridge/static.ts';

const root = path.resolve('/srv/ui');

describe('static files', () => {
  it.each([
    ['/', path.join(root, 'index.html')],
    ['/assets/index-abc.js', path.join(root, 'assets/index-abc.js')],
    ['/favicon.svg', path.join(root, 'favicon.svg')],
  ])('serves %s from the renderer folder', (url, file) => {
    expect(resolveStatic(root, url)).toBe(file);
  });

  it.each(['/../package.json', '/assets/../../etc/passwd', '/%2e%2e/secret', '/..%2fsecret', '/a%00b', '/%E0%A4%A', '/assets/..\\..\\x'])('refuses %s', (url) => {
    expect(resolveStatic(root, url)).toBeUndefined();
  });

  it('builds a policy with no remote content, no inline script and only the given sockets', () => {
    const csp = contentSecurityPolicy(['ws://127.0.0.1:5317/ws']);
    expect(csp.split('; ')).toEqual([
      "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
      'connect-src ws://127.0.0.1:5317/ws', "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ]);
    expect(csp).not.toMatch(/unsafe-|\*|https?:/);
  });
});
