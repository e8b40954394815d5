// Which files can have a thumbnail, by name: what the UI asks thumbnails for and what My backups
// marks hasThumbnail. Pure, shared by the core and the window so both say the same.

/**
 * What sharp's prebuilt libvips decodes (core/thumbs/sharp-render.ts allows these loaders only).
 * HEIC/HEIF is not here: that libvips has no HEVC decoder, and an iPhone's HEIC keeps its preview
 * as an HEVC image, not as the EXIF JPEG thumbnail core/views/thumbnail.ts reads from JPEGs. RAW
 * files (DNG, CR2, NEF…) are not here either: libvips would read at most a TIFF preview of some.
 */
const THUMBNAIL_EXTENSION = /\.(jpe?g|jpe|png|webp|gif|tiff?|avif)$/i;

/** Whether a file with this name can get a thumbnail. */
export function canThumbnail(name: string): boolean {
  return THUMBNAIL_EXTENSION.test(name);
}

/** Whether a file with this name is a JPEG, the one format that may carry an EXIF thumbnail. */
export function isJpegName(name: string): boolean {
  return /\.(jpe?g|jpe)$/i.test(name);
}
