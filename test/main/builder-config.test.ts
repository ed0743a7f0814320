// electron-builder.yml, validated offline by electron-builder's own schema check (the same call
// `electron-builder` makes before it packages; packaging itself needs an Electron zip).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// app-builder-lib is electron-builder's own library; resolve it from there, as electron-builder does.
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder/package.json'));
type Validate = (config: Record<string, unknown>, logger: unknown) => Promise<void>;
const { validateConfiguration } = fromBuilder('app-builder-lib/out/util/config/config.js') as { validateConfiguration: Validate };
const { DebugLogger } = fromBuilder('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

const config = YAML.parse(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;

describe('electron-builder.yml', () => {
  it("passes electron-builder's schema", async () => {
    await expect(validateConfiguration(structuredClone(config), new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('is checked for real: an unknown key is refused', async () => {
    await expect(validateConfiguration({ ...structuredClone(config), appIdd: 'typo' }, new DebugLogger(false))).rejects.toThrow(/unknown property 'appIdd'/);
  });

  it('packages the built app and the scenarios as an AppImage, pinned to the Electron we build for', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string; devDependencies: Record<string, string> };
    expect(config.appId).toBe('example.postcardlab.app');
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'scenarios/**']));
    expect(config.linux).toMatchObject({ target: ['AppImage'] });
    expect(config.electronVersion).toBe(pkg.devDependencies.electron);
    expect(pkg.main).toBe('out/main/main.js');
  });
});
