// Every hard limit in the core, with the reason beside it. Limits are enforced before buffering:
// untrusted input (peers, files, tar entries, HTTP bodies, UI calls) never decides how much we hold.

/** age STREAM plaintext chunk size, fixed by the age v1 spec. */
export const AGE_CHUNK_SIZE = 64 * 1024;
/** age STREAM tag size (ChaCha20-Poly1305). */
export const AGE_TAG_SIZE = 16;
/** An age header larger than this is refused: ours are ~200 bytes; this leaves room for many recipients and grease. */
export const AGE_MAX_HEADER_BYTES = 64 * 1024;
/** At most this many stanzas in an age header, so a hostile header cannot make us try endless unwraps. */
export const AGE_MAX_STANZAS = 256;
/** ASCII-armored age files are decoded in memory (interop only; our blobs are binary), so they are capped. */
export const AGE_MAX_ARMORED_BYTES = 16 * 1024 * 1024;
/** An identity file larger than this is not an identity file. */
export const MAX_IDENTITY_FILE_BYTES = 64 * 1024;

/** tar block size, fixed by POSIX. */
export const TAR_BLOCK = 512;
/** A pax extended header above this is refused before it is buffered (a path, a few times, a hash, a device ID fit in 1 KiB). */
export const TAR_MAX_PAX_BYTES = 64 * 1024;
/** Longest path accepted from an archive, in bytes (PATH_MAX on Linux). */
export const TAR_MAX_PATH_BYTES = 4096;
/** Most entries accepted in one archive: a blob holds one file or a Live Photo pair; user tars get generous room. */
export const TAR_MAX_ENTRIES = 100_000;
/** Most files sealed into one blob, matching what open accepts. */
export const SEAL_MAX_FILES = 10_000;

/** A blob ID is the lowercase hex SHA-256 of the blob's bytes. */
export const BLOB_ID_PATTERN = /^[0-9a-f]{64}$/;
/** How many bytes of a file we read to find its capture time (EXIF sits in the first segments of a JPEG). */
export const EXIF_SCAN_BYTES = 256 * 1024;

/** A typed or pasted device ID longer than this is refused before normalizing (the canonical form is 63 characters; room for stray spaces). */
export const DEVICE_ID_MAX_INPUT_CHARS = 256;
/** cert.pem and key.pem are read whole; ours are under 1 KiB, so anything above this is not our identity. */
export const DEVICE_IDENTITY_FILE_MAX_BYTES = 16 * 1024;

/** How long a ledger write waits for another connection's lock (the CLI reading while the app writes) before failing. */
export const LEDGER_BUSY_TIMEOUT_MS = 5_000;
/** SQLite page cache per ledger connection, in KiB: keeps the hot index pages of a 10^6-row ledger in memory without bloating the app. */
export const LEDGER_CACHE_KIB = 16 * 1024;
/** After a checkpoint the WAL file is truncated to this, so one big transaction does not keep donor disk forever. */
export const LEDGER_WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** Most rows one list call returns: a UI page or a log tail, never the whole table in one synchronous call. */
export const LEDGER_MAX_PAGE = 1_000;
/** The activity log keeps this many newest events (about a busy day at a venue); older ones are deleted. */
export const EVENTS_MAX_ROWS = 10_000;
