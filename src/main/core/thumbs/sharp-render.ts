// Renders one thumbnail with sharp (libvips): a JPEG whose long edge is THUMB_LONG_EDGE_PX, turned
// upright by the photo's EXIF orientation, with no metadata left in it. sharp is a native module
// with an 18 MB library (libvips) behind it, so it is imported on first use only: CLI commands
// never load it, and a platform with no prebuilt binary loses rendered thumbnails, not the app.

import type { SharpOptions } from 'sharp';

/** Long edge of a rendered thumbnail: a grid tile is about 160 CSS px wide, so this is crisp on a 2× screen. */
export const THUMB_LONG_EDGE_PX = 320;
/** JPEG quality of a thumbnail: about 10–20 KB at 320 px, with no visible blocking at tile size. */
export const THUMB_JPEG_QUALITY = 75;
/**
 * Decoded pixels allowed per input (width × height from the file's header, checked by libvips
 * before it decodes): a 200 MP phone photo (16320 × 12240) fits; a decompression bomb does not.
 */
export const THUMB_MAX_INPUT_PIXELS = 16384 * 16384;
/** A render still running after this long is abandoned (a pathological file must not hold the one render slot). */
export const THUMB_RENDER_TIMEOUT_S = 20;
/**
 * libvips worker threads per render. One: thumbnails are a convenience and must never take both
 * cores of a small laptop from transfers and sealing. (sharp.concurrency is process-wide; nothing
 * else in the process uses sharp.)
 */
export const SHARP_THREADS = 1;
/**
 * The only libvips loaders left unblocked: the formats canThumbnail (shared/thumbnailable.ts)
 * names, from memory. Everything else (SVG, PDF, FITS, Matlab, …) is refused whatever a file's name
 * says, since files on a phone or card are untrusted input. HEIF's loader is here for AVIF; the
 * prebuilt libvips has no HEVC decoder, so HEIC never decodes (its names are not offered either).
 */
const ALLOWED_LOADERS = [
  'VipsForeignLoadJpegBuffer',
  'VipsForeignLoadPngBuffer',
  'VipsForeignLoadWebpBuffer',
  'VipsForeignLoadNsgifBuffer',
  'VipsForeignLoadTiffBuffer',
  'VipsForeignLoadHeifBuffer',
];

/** Encoded image bytes in, a thumbnail JPEG out; rejects when the bytes do not decode. */
export type RenderThumbnail = (input: Buffer) => Promise<Buffer>;

let loaded: Promise<RenderThumbnail> | null = null;

/**
 * sharp, configured once, as a render function. Rejects (and keeps rejecting, without retrying the
 * native load on every call) when sharp cannot load on this platform.
 */
export function loadSharpRenderer(): Promise<RenderThumbnail> {
  loaded ??= import('sharp').then(({ default: sharp }) => {
    sharp.concurrency(SHARP_THREADS);
    // libvips' operation cache keeps recent images for reuse; every thumbnail is a different file.
    sharp.cache(false);
    sharp.block({ operation: ['VipsForeignLoad'] });
    sharp.unblock({ operation: ALLOWED_LOADERS });
    const options: SharpOptions = {
      limitInputPixels: THUMB_MAX_INPUT_PIXELS,
      // A truncated file fails (a half-grey thumbnail would look like a damaged photo; a file still
      // being copied gets a new key once done); mere warnings, such as the "extraneous bytes before
      // marker" some cameras write, do not, unlike sharp's default ('warning').
      failOn: 'truncated',
      sequentialRead: true,
    };
    return (input: Buffer) =>
      sharp(input, options)
        .rotate() // by EXIF orientation; the output carries no EXIF, so it must be upright itself
        .resize({ width: THUMB_LONG_EDGE_PX, height: THUMB_LONG_EDGE_PX, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: THUMB_JPEG_QUALITY })
        .timeout({ seconds: THUMB_RENDER_TIMEOUT_S })
        .toBuffer(); // sharp drops all metadata (EXIF, GPS, ICC, XMP) unless told to keep it
  });
  return loaded;
}
