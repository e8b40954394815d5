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

// Capture time of HEIC/HEIF/AVIF photos and QuickTime/MP4 videos (core/seal/isobmff.ts and the
// codecs beside it). These files are ISO base media boxes whose sizes come from the file itself.

/** Bytes read from one file beyond its head to find a HEIC's Exif item or a video's moov box (often after gigabytes of media): a few headers, an item table and a few KiB of metadata need far less. */
export const CAPTURE_MAX_EXTRA_READ_BYTES = 1024 * 1024;
/** Box headers walked at one level (the file's top level, or inside moov): a phone's file has under ten; a file of endless tiny boxes stops here. */
export const ISOBMFF_MAX_BOXES = 256;
/** A HEIF meta box (item table, locations, properties) is read whole only up to this: an iPhone's, with a hundred tiles, is a few KiB. */
export const HEIF_MAX_META_BYTES = 256 * 1024;
/** Items read from a HEIF item table (iinf, iloc): a 48 MP photo has a few hundred tiles; more is garbage. */
export const HEIF_MAX_ITEMS = 4096;
/** Bytes read of a HEIF Exif item: EXIF in a JPEG stops at 64 KiB; room for writers that add more (DateTimeOriginal sits near the start). */
export const HEIF_MAX_EXIF_BYTES = 256 * 1024;
/** Extents joined into a HEIF Exif item: writers use one; an item in many pieces is not worth many reads. */
export const HEIF_MAX_EXIF_EXTENTS = 8;
/** A QuickTime moov/meta box (keys and their values) is read whole only up to this: a phone's is one or two KiB. */
export const QUICKTIME_MAX_META_BYTES = 64 * 1024;
/** Keys read from a QuickTime keys box: a phone writes about ten. */
export const QUICKTIME_MAX_KEYS = 1024;

/** A typed or pasted device ID longer than this is refused before normalizing (the canonical form is 63 characters; room for stray spaces). */
export const DEVICE_ID_MAX_INPUT_CHARS = 256;
/** cert.pem and key.pem are read whole; ours are under 1 KiB, so anything above this is not our identity. */
export const DEVICE_IDENTITY_FILE_MAX_BYTES = 16 * 1024;
/** Parsed peer certificates kept in memory: more than the peers one device links with at a venue. */
export const PUBLIC_KEY_CACHE_ENTRIES = 512;

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

// Peer protocol (core/protocol). Every frame is refused on its length before it is parsed or copied.

/** A control message (JSON text frame) above this many UTF-8 bytes is refused before JSON.parse: the largest, an offer, carries a signed ticket of at most MAX_SIGNED_BODY_BYTES (~44 KiB as base64) and fits with room to spare. */
export const MAX_CONTROL_FRAME_BYTES = 64 * 1024;
/** Blob bytes in one data frame: four age chunks, so per-frame overhead is negligible and a link never holds more than this per frame in flight. */
export const MAX_DATA_PAYLOAD_BYTES = 256 * 1024;
/** A data frame's header, fixed by protocol v1: 1 byte frame type, 32 bytes raw blob ID, 8 bytes big-endian offset. */
export const DATA_FRAME_HEADER_BYTES = 1 + 32 + 8;
/** ws's maxPayload on peer links: the largest frame of either kind, so ws refuses anything larger before buffering it. */
export const MAX_FRAME_BYTES = Math.max(MAX_CONTROL_FRAME_BYTES, DATA_FRAME_HEADER_BYTES + MAX_DATA_PAYLOAD_BYTES);
/** A peer's display name (a hostname or "Alice's laptop") longer than this is refused; hostnames stop at 255. */
export const MAX_PEER_NAME_CHARS = 256;
/** Most capability strings in a hello: v1 knows a handful; this bounds what a hostile hello makes us keep. */
export const MAX_CAPABILITIES = 32;
/** Longest capability string: they are short feature names such as "resume". */
export const MAX_CAPABILITY_CHARS = 64;
/** Longest text in an error message: one sentence for a log line and the UI, not a stack trace. */
export const MAX_ERROR_MESSAGE_CHARS = 1024;
/** Longest back-off a busy holder may ask for: beyond an hour the origin should simply try other peers. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** A signed statement's body (ticket, receipt, release) above this is refused before base64 decoding: a ticket is ~0.4 KiB of fields plus a certificate (≤ MAX_DEVICE_CERT_BYTES) and a target (≤ MAX_TICKET_TARGET_BYTES). */
export const MAX_SIGNED_BODY_BYTES = 32 * 1024;
/** A device certificate carried in a statement above this is refused: ours are ~0.4 KiB DER, a generous CA-issued one stays under 2 KiB. */
export const MAX_DEVICE_CERT_BYTES = 4 * 1024;
/** A ticket's delivery target (receiver URL, or presigned S3 PUT/HEAD URLs whose session tokens can reach a few KiB each), as canonical JSON. */
export const MAX_TICKET_TARGET_BYTES = 16 * 1024;
/** Deepest nesting in a ticket's target: targets are flat records; this keeps a hostile one from costing deep recursion. */
export const MAX_TICKET_TARGET_DEPTH = 8;
/** Longest a ticket or custody receipt may span: replicas live about half a day; a week covers a multi-day festival and the trip home. */
export const MAX_TICKET_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** How far a ticket's creation time may lie in the verifier's future: laptop clocks drift, but a ticket from a later hour means a broken clock. */
export const MAX_CLOCK_SKEW_MS = 60 * 60 * 1000;

// Peer links (core/links). The largest frame a link carries is MAX_FRAME_BYTES above.

/** A link's `send` waits while more than this is queued for the socket: bounds memory per link and gives senders real backpressure. */
export const LINK_SEND_HIGH_WATER_BYTES = 1024 * 1024;
/** Each side pings its peer this often; a ping still unanswered at the next one closes the link (a dead peer is noticed within two intervals). */
export const LINK_PING_INTERVAL_MS = 15_000;
/** A link with no application frames either way for this long is closed, freeing its slot for another peer. */
export const LINK_IDLE_TIMEOUT_MS = 120_000;
/** Most peer links at once (in + out): each may hold a send buffer and a frame; placement needs only a few holders at a time. */
export const LINK_MAX_LINKS = 32;
/** TLS plus the WebSocket upgrade must finish within this, so half-open or silent sockets do not hold a slot. */
export const LINK_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Connections still in their handshake, beyond the established links, before the listener stops accepting. */
export const LINK_MAX_PENDING_HANDSHAKES = 16;
/** On stop, links get this long to finish their closing handshake before their sockets are destroyed. */
export const LINK_STOP_GRACE_MS = 2_000;

// Discovery (core/discovery): mDNS advertisements come from anyone in the room; manual addresses from a person.

/** Devices kept in the mDNS peer table: a room of laptops fits easily; a hostile LAN advertising endless fake devices does not grow it further. */
export const MDNS_MAX_PEERS = 1_024;
/** Addresses kept per discovered device: a laptop has a few interfaces; a record listing hundreds is not an honest one. */
export const MDNS_MAX_ADDRESSES_PER_PEER = 16;
/** A TXT record larger than this is refused: ours is under 100 bytes, and RFC 6763 §6.2 calls more than 1300 unwise. */
export const MDNS_TXT_MAX_BYTES = 1_300;
/** TXT strings read per record: we use three keys; room for later ones. */
export const MDNS_MAX_TXT_KEYS = 32;
/** Largest free space a device may advertise, in GiB (1 PiB): a bigger figure is a lie or a bug, and would skew placement. */
export const MDNS_FREE_MAX_GIB = 2 ** 20;
/** Each device re-queries this often (±20 %): every query makes every device answer, so traffic grows with the square of the room; 20 s keeps 100 devices under ~500 small packets/s. */
export const MDNS_REQUERY_INTERVAL_MS = 20_000;
/** A device not heard for this long is forgotten: about three missed query rounds, because multicast on Wi-Fi drops packets. */
export const MDNS_PEER_TTL_MS = 75_000;
/** A device that said goodbye is dropped this long after, unless it answers again (RFC 6762 §10.1: keep it one more second). */
export const MDNS_GOODBYE_GRACE_MS = 1_000;
/** Free-space re-announcements are at least this far apart, so a donor at a bucket edge does not flood the link. */
export const MDNS_REANNOUNCE_MIN_INTERVAL_MS = 10_000;
/** On stop, the goodbye gets this long to be sent before the socket closes anyway. */
export const MDNS_STOP_TIMEOUT_MS = 2_000;
/** The same mDNS warning (a failing send, a malformed record) is logged at most this often. */
export const MDNS_ERROR_LOG_INTERVAL_MS = 60_000;
/** A typed peer address longer than this is refused before parsing: ID@ (64) + a 253-character host name + :65535 fit. */
export const MANUAL_PEER_MAX_INPUT_CHARS = 512;
/** Manual peers kept: enough for a whole team's laptops; each one is dialed and redialed. */
export const MANUAL_PEERS_MAX = 256;

// ---- Delivery: destination cards (src/main/core/delivery/card.ts, qr.ts) ----

/** A pasted or scanned inswarm:// link longer than this is refused before it is parsed; a card this long still fits a QR code at level M (version 40 holds 2331 bytes), a typical one is ~250 characters. */
export const CARD_LINK_MAX_CHARS = 2048;
/** A destination label is a short name typed on the command line and shown in lists. */
export const CARD_LABEL_MAX_CHARS = 64;
/** A receiver or S3 endpoint URL is an origin (scheme, host, port); the longest DNS name is 253 characters. */
export const CARD_URL_MAX_CHARS = 256;
/** S3 object keys stop at 1024 bytes and ours are PREFIX/BLOB-ID (65 more); half of that leaves room and keeps the QR code scannable. */
export const CARD_S3_PREFIX_MAX_BYTES = 512;
/** An S3 region name ("us-east-1", "auto" for R2); the longest AWS one is 14 characters. */
export const CARD_S3_REGION_MAX_CHARS = 64;
/** A folder destination's absolute path, in UTF-8 bytes: generous for real folders, short enough for a QR code. */
export const CARD_FOLDER_PATH_MAX_BYTES = 1024;
/** Destinations one device keeps: a person has a few homes and buckets; this bounds every list and lookup. */
export const DESTINATIONS_MAX = 256;

// ---- Delivery: home networks (src/main/core/homenet/) ----

/** Each OS tool (ip, nmcli, iw, route, arp, netsh…) gets this long: they answer in milliseconds, but a hung NetworkManager must not hang `inswarm net` or the node's home check. */
export const HOMENET_TOOL_TIMEOUT_MS = 3_000;
/** Most output read from one OS tool: a routing table or a neighbour table of a big LAN fits easily; anything larger is not what we asked for. */
export const HOMENET_TOOL_MAX_OUTPUT_BYTES = 512 * 1024;
/** After nudging ARP, how long we keep re-reading the neighbour table for the gateway's MAC: a live gateway answers in milliseconds; a dead one must not stall the probe. */
export const HOMENET_ARP_WAIT_MS = 1_500;
/** Interval between those re-reads. */
export const HOMENET_ARP_POLL_MS = 100;
/** An SSID is 0–32 octets (IEEE 802.11); an empty one is a hidden network and identifies nothing. */
export const SSID_MAX_BYTES = 32;
/** A home network's label is typed and shown by a person; longer ones are mistakes. */
export const HOME_LABEL_MAX_CHARS = 64;
/** Home networks kept per device: a person has a few (home, parents', office); each is compared on every probe. */
export const HOME_NETWORKS_MAX = 100;

// ---- Delivery: home receiver (src/main/core/receiver/) ----

/** Largest blob a receiver accepts: a blob is one photo or one video (a long 4K clip is tens of GiB); a larger Content-Length is refused (413) before any byte is read. */
export const RECEIVER_MAX_BLOB_BYTES = 64 * 1024 ** 3;
/** Uploads a receiver takes at once: each holds a temp file, a hash and, at its end, a library open; more wait (503 + Retry-After). */
export const RECEIVER_MAX_CONCURRENT_UPLOADS = 4;
/** An upload that sends no byte for this long is dropped (slow or stalled sender), freeing its slot. */
export const RECEIVER_IDLE_TIMEOUT_MS = 30_000;
/** Request headers above this are refused by the HTTP parser: the largest ticket allowed (32 KiB body, base64 twice) is ~59 KiB. */
export const RECEIVER_MAX_HEADER_BYTES = 96 * 1024;
/** Headers must arrive within this, so slow-header clients cannot hold connections. */
export const RECEIVER_HEADERS_TIMEOUT_MS = 10_000;
/** Open connections at once: deliverers are a household's devices and a few volunteers; bounds sockets a stranger can hold. */
export const RECEIVER_MAX_CONNECTIONS = 64;
/** An idle keep-alive connection is closed after this. */
export const RECEIVER_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Retry-After (seconds) sent with 503 (too many uploads) and 409 (this blob is arriving right now). */
export const RECEIVER_RETRY_AFTER_S = 5;
/** Header lines read per request (Node drops the rest): a deliverer sends about eight. */
export const RECEIVER_MAX_HEADERS_COUNT = 32;
/** A refused request's connection is closed once the answer is flushed; this is the backstop: the socket is destroyed after it whatever the peer does. */
export const RECEIVER_REFUSAL_LINGER_MS = 2_000;
/** At most this much of an unread refused body is read and dropped before the socket is destroyed at once. */
export const RECEIVER_REFUSAL_DISCARD_BYTES = 1024 * 1024;
/** Client: TLS connect plus the pin check must finish within this. */
export const RECEIVER_CLIENT_CONNECT_TIMEOUT_MS = 15_000;
/** Client: no byte either way for this long while sending or waiting fails the request (the receiver verifies and files a blob after its last byte, which takes a while for a large video). */
export const RECEIVER_CLIENT_IDLE_TIMEOUT_MS = 10 * 60_000;
/** Client: a receiver's answer body (JSON with a receipt, or a refusal) above this is refused unread. */
export const RECEIVER_CLIENT_MAX_ANSWER_BYTES = 64 * 1024;

// ---- Delivery: S3, folder and collect (src/main/core/delivery/s3-*.ts, folder-*.ts, collect/) ----

/** SigV4 presigned URLs live at most 7 days (AWS's limit, in seconds); a ticket needing longer cannot be served by S3. */
export const S3_PRESIGN_MAX_EXPIRES_S = 7 * 24 * 60 * 60;
/** Largest object one S3 PUT may carry (AWS's limit); bigger blobs would need multipart uploads, which one presigned URL cannot do. */
export const S3_MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
/** A presigned PUT waits this long for "100 Continue" before sending anyway, so an expired URL is refused before gigabytes go out, and servers that ignore Expect still work. */
export const S3_CONTINUE_WAIT_MS = 1_000;
/** No byte either way for this long fails an S3 request (a dead network at home); S3 itself times out idle uploads after about 20 s. */
export const S3_IDLE_TIMEOUT_MS = 60_000;
/** An S3 error answer (XML naming the code) is read up to this; the rest is dropped. */
export const S3_MAX_ERROR_BODY_BYTES = 16 * 1024;
/** Largest object `collect` downloads: what one presigned PUT can deliver; anything bigger was not delivered by Inswarm. */
export const COLLECT_MAX_OBJECT_BYTES = S3_MAX_SINGLE_PUT_BYTES;
/** Most new objects one `collect` run fetches, so one run has a bounded length and temp use; the next run continues. */
export const COLLECT_MAX_OBJECTS_PER_RUN = 10_000;
/** Keys per ListObjectsV2 page (S3's maximum): bounds what one answer makes us hold. */
export const COLLECT_LIST_PAGE_KEYS = 1_000;

// ---- Delivery: flush (src/main/core/delivery/flush.ts) ----
/** First wait after a failed delivery; doubles per failure, with ±50% jitter so holders spread out. */
export const DELIVERY_BACKOFF_FIRST_MS = 5_000;
/** Longest wait between delivery attempts of one blob. */
export const DELIVERY_BACKOFF_MAX_MS = 10 * 60_000;
/** Blobs read from the ledger per query while building a flush's work list. */
export const DELIVERY_BATCH = 200;
/** Most uploads one device runs at once, whatever the setting says. */
export const DELIVERY_MAX_CONCURRENCY = 16;
/** Lifetime of the ticket an origin signs for delivering its own blob to a receiver. */
export const OWN_DELIVERY_TICKET_MS = 60 * 60_000;
/** Shortest life left on presigned S3 URLs an origin makes for its own delivery. */
export const OWN_DELIVERY_PRESIGN_S = 60 * 60;
/** How often progress of one upload becomes an event (the UI's bars), at most. */
export const DELIVERY_PROGRESS_INTERVAL_MS = 250;
/** Releases sent per pass to one holder, so a long backlog never blocks a link. */
export const RELEASES_PER_PASS = 50;
/** Presigned URLs in a ticket outlive it by this much: a holder may start an upload just before expiry. */
export const S3_PRESIGN_MARGIN_S = 15 * 60;
/** How often a running node checks whether it is on a home network. */
export const HOME_CHECK_INTERVAL_MS = 5_000;
/** While at home, how often delivery passes run to retry failures and pick up new blobs. */
export const HOME_FLUSH_INTERVAL_MS = 10_000;
