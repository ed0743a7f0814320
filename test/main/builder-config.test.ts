// electron-builder.yml, validated offline by electron-builder's own schema check (the same call
// `electron-builder` makes before it packages; packaging itself needs an Electron zip), and the
// packaged file list computed with electron-builder's own file matcher over the repository's files
// plus what `npm run build` writes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BUILT_FILES } from '../../main/build-outputs.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// app-builder-lib is electron-builder's own library; resolve it from there, as electron-builder does.
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder/package.json'));
type Validate = (config: Record<string, unknown>, logger: unknown) => Promise<void>;
const { validateConfiguration } = fromBuilder('app-builder-lib/out/util/config/config.js') as { validateConfiguration: Validate };
const { DebugLogger } = fromBuilder('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
type Filter = (file: string, stat: { isDirectory(): boolean }) => boolean;
const { FileMatcher } = fromBuilder('app-builder-lib/out/fileMatcher.js') as {
  FileMatcher: new (from: string, to: string, expand: (p: string) => string, patterns: unknown) => { createFilter(): Filter };
};

const config = YAML.parse(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;

/** Every file electron-builder could see: the tracked ones, and the build's outputs (with their maps). */
function candidates(): string[] {
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  return [...tracked, ...BUILT_FILES, ...BUILT_FILES.map((f) => `${f}.map`)];
}

/** The files the `files` globs put into app.asar, as electron-builder's matcher decides. */
function packaged(): string[] {
  const filter = new FileMatcher(root, root, (p) => p, config.files).createFilter();
  const file = { isDirectory: () => false };
  const dir = { isDirectory: () => true };
  return candidates().filter((rel) => {
    // The matcher walks folders first: a file is copied only if every folder above it passes.
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) if (!filter(path.join(root, ...parts.slice(0, i)), dir)) return false;
    return filter(path.join(root, rel), file);
  });
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's schema", async () => {
    await expect(validateConfiguration(structuredClone(config), new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('is checked for real: an unknown key and a misspelt fuse are refused', async () => {
    await expect(validateConfiguration({ ...structuredClone(config), appIdd: 'typo' }, new DebugLogger(false))).rejects.toThrow(/unknown property 'appIdd'/);
    const fuses = { ...(config.electronFuses as object), runAsNodee: false };
    await expect(validateConfiguration({ ...structuredClone(config), electronFuses: fuses }, new DebugLogger(false))).rejects.toThrow(/configuration.electronFuses/);
  });

  it('builds AppImage and deb (Linux), nsis (Windows) and dmg (macOS), pinned to the Electron we build for', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string; devDependencies: Record<string, string> };
    expect(config.appId).toBe('example.postcardlab.app');
    expect(config.linux).toMatchObject({ target: ['AppImage', 'deb'] });
    expect(config.win).toMatchObject({ target: ['nsis'] });
    expect(config.mac).toMatchObject({ target: ['dmg'] });
    expect(config.asar).toBe(true);
    expect(config.electronVersion).toBe(pkg.devDependencies.electron);
    expect(pkg.main).toBe('out/main/main.js');
  });

  it('sets the fuses that keep a packaged app from becoming a plain Node or loading unchecked code', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
      loadBrowserProcessSpecificV8Snapshot: false,
    });
  });

  it('packages the built app and nothing else: no sources, tests, source maps or tooling', () => {
    const files = packaged();
    expect(files.sort()).toEqual([...BUILT_FILES].sort());
    for (const f of files) expect(f).not.toMatch(/^(app|main|renderer|test|scripts|docs|\.ci)\/|\.ts$|\.map$|^package-lock|tsconfig|vite|vitest|playwright|eslint/);
  });

  it('ships the scenarios and the docs beside the app as resources', () => {
    expect(config.extraResources).toEqual([
      { from: 'scenarios', to: 'scenarios', filter: ['*.yaml', 'schema.json'] },
      { from: 'docs', to: 'docs', filter: ['*.md'] },
    ]);
    for (const r of config.extraResources as { from: string }[]) expect(fs.readdirSync(path.join(root, r.from)).length).toBeGreaterThan(0);
  });
});
