// A card's QR code and its text, with a copy button: how a device ID or a destination travels to
// another device.

import { useState } from 'react';
import type { CardView } from '../../shared/api.js';
import { QrImage } from '../components/qr-image.js';

export function CardQr(props: { readonly card: CardView; readonly label: string; readonly hint: string; readonly testId?: string }): React.JSX.Element {
  const { card, label } = props;
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const copy = (): void => {
    const clip = typeof navigator === 'undefined' ? undefined : navigator.clipboard;
    if (clip === undefined) {
      setCopied('no');
      return;
    }
    clip.writeText(card.text).then(
      () => setCopied('yes'),
      () => setCopied('no'),
    );
  };
  return (
    <div className="device-card" data-testid={props.testId}>
      <QrImage svg={card.svg} label={`QR code of ${label}`} testId={props.testId === undefined ? undefined : `${props.testId}-qr`} />
      <div>
        <p className="muted small">{props.hint}</p>
        <code className="device-id" data-testid={props.testId === undefined ? undefined : `${props.testId}-text`}>
          {card.text}
        </code>
        <div className="settings-copy">
          <button type="button" className="button" onClick={copy} aria-label={`Copy ${label} as text`}>
            {copied === 'yes' ? 'Copied' : 'Copy'}
          </button>
          <span className="muted small" role="status">
            {copied === 'no' ? 'Copying is not allowed here: select the text and copy it by hand.' : ''}
          </span>
        </div>
      </div>
    </div>
  );
}
