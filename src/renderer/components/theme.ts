// Light, dark, or whatever the system prefers: the choice is saved in localStorage and applied
// as <html data-theme>, which the stylesheet's variables follow.

export type ThemeChoice = 'system' | 'light' | 'dark';

export const THEME_STORAGE_KEY = 'inswarm.theme';
const ORDER: readonly ThemeChoice[] = ['system', 'light', 'dark'];

/** A stored value as a choice; anything unknown (or no storage) means "system". */
export function parseTheme(stored: string | null | undefined): ThemeChoice {
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

/** The choice after the toggle is pressed: system → light → dark → system. */
export function nextTheme(current: ThemeChoice): ThemeChoice {
  return ORDER[(ORDER.indexOf(current) + 1) % ORDER.length]!;
}

export function themeLabel(choice: ThemeChoice): string {
  return choice === 'system' ? 'Theme: system' : choice === 'light' ? 'Theme: light' : 'Theme: dark';
}

export function readTheme(): ThemeChoice {
  try {
    return parseTheme(window.localStorage.getItem(THEME_STORAGE_KEY));
  } catch {
    return 'system';
  }
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === 'system') delete document.documentElement.dataset['theme'];
  else document.documentElement.dataset['theme'] = choice;
  try {
    if (choice === 'system') window.localStorage.removeItem(THEME_STORAGE_KEY);
    else window.localStorage.setItem(THEME_STORAGE_KEY, choice);
  } catch {
    // Storage can be unavailable (a locked-down profile); the choice then lasts this session.
  }
}
