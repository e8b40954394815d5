// Whether an optional tool (gphoto2, ifuse) is installed: a look along PATH, without running it.

import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** The full path of `command` on PATH, or null. */
export async function which(command: string): Promise<string | null> {
  if (command.includes('/')) return (await executable(command)) ? command : null;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, command);
    if (await executable(path)) return path;
  }
  return null;
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
