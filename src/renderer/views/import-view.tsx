// Import: where photos from a phone plugged in over USB will be brought in. A later issue fills it.

import type { Bridge } from '../bridge.js';

export function ImportView(_props: { readonly bridge: Bridge }): React.JSX.Element {
  return (
    <div className="view-import" data-testid="import-placeholder">
      <section className="panel panel-center">
        <h2>Importing from a phone is coming</h2>
        <p>
          Soon you will plug a phone in over USB and its new photos and videos will be copied here, sealed for your home, and handed to people nearby, without going through
          the venue's slow internet.
        </p>
        <p className="muted">Until then, add files with the command line: <code>inswarm add FILE…</code></p>
      </section>
    </div>
  );
}
