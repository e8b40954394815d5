// The core never imports electron (DESIGN.md): the same code runs headless, in the CLI and in the
// demo, where no Electron exists. In the shell, only the two entry points Electron itself loads
// import it at run time; the glue imports its types only, so it runs (and is tested) in plain Node.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.(c|m)?tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** Every import/require of 'electron' in a file, with whether it is type-only. */
function electronImports(file: string): { typeOnly: boolean; text: string }[] {
  const text = readFileSync(file, 'utf8');
  const found: { typeOnly: boolean; text: string }[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+['"]electron['"]/gms)) found.push({ typeOnly: m[2] !== undefined, text: m[0].trim() });
  for (const m of text.matchAll(/(require|import)\(\s*['"]electron['"]\s*\)/g)) found.push({ typeOnly: /typeof\s+import\(\s*['"]electron/.test(text.slice(Math.max(0, m.index! - 8), m.index! + m[0].length)), text: m[0] });
  return found;
}

describe("imports of 'electron'", () => {
  const all = sources(join(root, 'src'));

  it('finds the imports it looks for (the scan itself works)', () => {
    expect(electronImports(join(root, 'src/main/electron/main.ts'))).toEqual([{ typeOnly: false, text: "import * as electron from 'electron'" }]);
    expect(electronImports(join(root, 'src/main/electron/ipc.ts')).every((i) => i.typeOnly)).toBe(true);
  });

  it('appear nowhere outside src/main/electron', () => {
    const outside = all.filter((f) => !relative(root, f).startsWith(join('src', 'main', 'electron'))).filter((f) => electronImports(f).length > 0);
    expect(outside.map((f) => relative(root, f))).toEqual([]);
  });

  it('are type-only in the shell, except in main.ts and the preload', () => {
    const shellFiles = all.filter((f) => relative(root, f).startsWith(join('src', 'main', 'electron')));
    const runtime = shellFiles.filter((f) => electronImports(f).some((i) => !i.typeOnly)).map((f) => relative(join(root, 'src/main/electron'), f));
    expect(runtime.sort()).toEqual(['main.ts', join('preload', 'preload.ts')]);
  });
});
