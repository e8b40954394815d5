// The window's views and how the address's #fragment names them ("#/held"). Pure.

export const ROUTES = [
  { id: 'overview', label: 'Overview', icon: 'overview' },
  { id: 'held', label: 'Held for others', icon: 'held' },
  { id: 'backups', label: 'My backups', icon: 'backups' },
  { id: 'peers', label: 'Peers', icon: 'peers' },
  { id: 'deliveries', label: 'Deliveries', icon: 'deliveries' },
  { id: 'settings', label: 'Settings', icon: 'settings' },
  { id: 'activity', label: 'Activity', icon: 'activity' },
  { id: 'import', label: 'Import', icon: 'import' },
] as const;

export type RouteId = (typeof ROUTES)[number]['id'];

/** The view a #fragment names; anything else is the overview. */
export function routeFromHash(hash: string): RouteId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return ROUTES.some((r) => r.id === id) ? (id as RouteId) : 'overview';
}

export function hashFor(id: RouteId): string {
  return `#/${id}`;
}
