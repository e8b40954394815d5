// A QR code from the core, shown as an image. The core renders it to an SVG document with the
// `qrcode` package; putting that text into an <img> data: URL (never innerHTML) means any script
// or link inside it can never run or navigate, whatever the string holds.

export function QrImage(props: { readonly svg: string; readonly label: string; readonly testId?: string }): React.JSX.Element {
  const src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(props.svg)}`;
  return <img className="qr" src={src} alt={props.label} data-testid={props.testId} width={200} height={200} />;
}
