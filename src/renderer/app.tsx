// The window: a navigation list of the views, the view shown, a banner when the core does not
// answer, and the theme toggle. Views are chosen by the address's #fragment so reload and the
// back key keep the place.

import { useEffect, useRef, useState, type ComponentType } from 'react';
import { formatBytes } from '../shared/format.js';
import type { Bridge } from './bridge.js';
import { useCall } from './hooks.js';
import { ErrorBoundary } from './components/error-boundary.js';
import { Icon, Logo } from './components/icons.js';
import { hashFor, routeFromHash, ROUTES, type RouteId } from './components/routes.js';
import { applyTheme, nextTheme, readTheme, themeLabel, type ThemeChoice } from './components/theme.js';
import { ActivityView } from './views/activity-view.js';
import { BackupsView } from './views/backups-view.js';
import { DeliveriesView } from './views/deliveries-view.js';
import { HeldView } from './views/held-view.js';
import { ImportView } from './views/import-view.js';
import { OverviewView } from './views/overview-view.js';
import { PeersView } from './views/peers-view.js';
import { SettingsView } from './views/settings-view.js';

/** How often the window checks that the core still answers (and refreshes the status line). */
const HEARTBEAT_MS = 5_000;

const VIEWS: Record<RouteId, ComponentType<{ bridge: Bridge }>> = {
  overview: OverviewView,
  held: HeldView,
  backups: BackupsView,
  peers: PeersView,
  deliveries: DeliveriesView,
  settings: SettingsView,
  activity: ActivityView,
  import: ImportView,
};

const SUBTITLES: Record<RouteId, string> = {
  overview: 'Where this laptop is, who is nearby, and how safe your files are.',
  held: "Encrypted copies of other people's files, kept until they are delivered or expire. Nobody here can read them.",
  backups: 'Your own photos and files, and how many people hold a copy.',
  peers: 'Laptops this one can back up to and hold for.',
  deliveries: 'Copies on their way home.',
  settings: 'What this laptop donates, and where your files go.',
  activity: 'What this laptop did, newest first. New events appear as they happen.',
  import: 'Bring photos in from a phone.',
};

/** The skip link moves focus without touching the #fragment, which names the view. */
function skipToMain(e: React.MouseEvent): void {
  e.preventDefault();
  document.getElementById('main')?.focus();
}

export function App(props: { readonly bridge: Bridge }): React.JSX.Element {
  const { bridge } = props;
  const [route, setRoute] = useState<RouteId>(() => routeFromHash(window.location.hash));
  const [menuOpen, setMenuOpen] = useState(false);
  const [theme, setTheme] = useState<ThemeChoice>(readTheme);
  const heading = useRef<HTMLHeadingElement>(null);
  const menuButton = useRef<HTMLButtonElement>(null);
  const navigated = useRef(false);
  const heartbeat = useCall(bridge, 'overview', undefined);

  useEffect(() => {
    const onHash = (): void => {
      navigated.current = true;
      setRoute(routeFromHash(window.location.hash));
      setMenuOpen(false);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const label = ROUTES.find((r) => r.id === route)?.label ?? 'Inswarm';
    document.title = `${label} · Inswarm`;
    // After a navigation, move focus to the new view's heading so keyboard and screen-reader users land in it.
    if (navigated.current) heading.current?.focus();
  }, [route]);

  useEffect(() => {
    const timer = setInterval(heartbeat.refresh, HEARTBEAT_MS);
    return () => clearInterval(timer);
  }, [heartbeat.refresh]);

  useEffect(() => applyTheme(theme), [theme]);

  // Escape closes the small-window menu and returns focus to its button.
  const onSidebarKey = (e: React.KeyboardEvent): void => {
    if (e.key !== 'Escape' || !menuOpen) return;
    setMenuOpen(false);
    menuButton.current?.focus();
  };

  const View = VIEWS[route];
  const current = ROUTES.find((r) => r.id === route)!;
  const o = heartbeat.data;
  return (
    <div className={`app${menuOpen ? ' menu-open' : ''}`}>
      <a className="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <aside className="sidebar" onKeyDown={onSidebarKey}>
        <div className="sidebar-inner">
          <div className="brand">
            <Logo />
            <span className="brand-name">Inswarm</span>
            <button
              ref={menuButton}
              type="button"
              className="menu-button"
              aria-expanded={menuOpen}
              aria-controls="nav"
              aria-label={menuOpen ? 'Close menu' : 'Open menu'}
              onClick={() => setMenuOpen((v) => !v)}
              data-testid="menu-button"
            >
              <Icon name={menuOpen ? 'close' : 'menu'} />
            </button>
          </div>
          <nav id="nav" className="nav" aria-label="Views">
            <ul>
              {ROUTES.map((r) => (
                <li key={r.id}>
                  <a href={hashFor(r.id)} className="nav-item" aria-current={r.id === route ? 'page' : undefined} data-testid={`nav-${r.id}`}>
                    <Icon name={r.icon} />
                    <span>{r.label}</span>
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div className="sidebar-foot">
            {o !== null && (
              <p className="status-line" data-testid="status-line">
                <strong>{o.name}</strong>
                <span>
                  Holding {formatBytes(o.held.bytes)} for {o.held.origins} {o.held.origins === 1 ? 'person' : 'people'}
                  {o.mine.pending > 0 ? ` · ${o.mine.pending} of yours pending` : ''}
                </span>
              </p>
            )}
            <button type="button" className="button button-quiet theme-toggle" onClick={() => setTheme(nextTheme)} data-testid="theme-toggle" aria-label={`${themeLabel(theme)}. Change theme`}>
              <Icon name={theme === 'light' ? 'sun' : theme === 'dark' ? 'moon' : 'auto'} size={18} />
              <span>{themeLabel(theme)}</span>
            </button>
          </div>
        </div>
      </aside>
      <div className="content">
        {heartbeat.error !== null && (
          <div className="banner" role="alert" data-testid="connection-banner">
            <Icon name="warn" size={18} />
            <div>
              <strong>The Inswarm core is not answering.</strong> The window tries again every {HEARTBEAT_MS / 1000} seconds; if this stays, restart Inswarm.
              <span className="banner-detail"> ({heartbeat.error.message})</span>
            </div>
            <button type="button" className="button" onClick={heartbeat.refresh}>
              Retry now
            </button>
          </div>
        )}
        <main id="main" tabIndex={-1} className={`main view-${route}`} data-testid={`view-${route}`}>
          <header className="view-head">
            <h1 ref={heading} tabIndex={-1}>
              {current.label}
            </h1>
            <p className="view-subtitle">{SUBTITLES[route]}</p>
          </header>
          <ErrorBoundary key={route} name={current.label}>
            <View bridge={bridge} />
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}
