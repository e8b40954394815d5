// Every limit of the headless bridge, with its reason. The bridge only ever talks to one person's
// browser on this machine, so the limits are about bugs and hostile local pages, not load.

import { API_MAX_ARGS_BYTES } from '../../shared/api.js';

/** Random bytes in the URL token (the cookie and the CSRF token are derived from it): 256 bits, never guessed. */
export const UI_SECRET_BYTES = 32;
/** A token handed in by the caller must be base64url of at least 144 bits (24 characters). */
export const UI_TOKEN_PATTERN = /^[A-Za-z0-9_-]{24,512}$/;

/** An API call's JSON body: the contract's own cap on arguments, checked before buffering. */
export const UI_MAX_BODY_BYTES = API_MAX_ARGS_BYTES;
/**
 * Request headers: larger than Node's 16 KiB default because cookies are not scoped by port, so
 * every other local web app's cookies for 127.0.0.1 ride along on each request.
 */
export const UI_MAX_HEADER_BYTES = 64 * 1024;
/** Headers must arrive within this: a stalled local client must not hold a socket. */
export const UI_HEADERS_TIMEOUT_MS = 10_000;
/** A whole request (headers and a body of at most UI_MAX_BODY_BYTES) must arrive within this. */
export const UI_REQUEST_TIMEOUT_MS = 30_000;
/** Sockets held at once: a browser opens about six per origin; this leaves room for many tabs. */
export const UI_MAX_CONNECTIONS = 256;
/** index.html is read whole to put the CSRF token in; a built index.html is about 1 KiB. */
export const UI_MAX_INDEX_BYTES = 1024 * 1024;
/** A refused request whose body was not read: the socket is destroyed after this, whatever the client does. */
export const UI_REFUSAL_LINGER_MS = 2_000;
/** At most this much of a refused body is read and dropped before the socket is destroyed at once. */
export const UI_REFUSAL_DISCARD_BYTES = 64 * 1024;

/** Event sockets at once: one per open tab; more means a page reconnecting in a loop. */
export const UI_EVENTS_MAX_CLIENTS = 32;
/**
 * Bytes queued for one event socket beyond which that client is dropped: a tab that stopped
 * reading (a suspended laptop, a frozen page) must not make the core hold its events forever.
 * The page reconnects and reloads its views, so nothing is lost but the backlog.
 */
export const UI_EVENTS_MAX_BUFFER_BYTES = 4 * 1024 * 1024;
/** A ping this often; a client that has not answered the previous one is dropped. */
export const UI_EVENTS_PING_INTERVAL_MS = 30_000;
/** The page sends nothing over the event socket; anything larger than this closes it. */
export const UI_EVENTS_MAX_INCOMING_BYTES = 1024;
