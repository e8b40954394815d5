// Every error a user or a peer can see has one of these stable codes. The UI, the CLI and the
// protocol map codes, never message text. Keep this the one list; add a code here before using it.

export const ERROR_CODES = {
  E_USAGE: 'the command was called wrongly',
  E_IO: 'a file could not be read or written',
  E_DISK_FULL: 'the disk is full',
  E_NOT_FOUND: 'a file or record does not exist',
  E_EXISTS: 'the target already exists and is never overwritten',
  E_NOT_A_FILE: 'an input is not a regular file',
  E_BAD_RECIPIENT: 'an age recipient (age1…) is malformed',
  E_BAD_IDENTITY: 'an age identity file is malformed',
  E_AGE_ARMOR: 'the ASCII armor around an age file is malformed',
  E_AGE_HEADER: 'the age header is malformed or unsupported',
  E_AGE_NO_MATCH: 'no identity can decrypt this age file',
  E_AGE_HMAC: 'the age header was altered (MAC mismatch)',
  E_AGE_PAYLOAD: 'the age payload is truncated or was altered',
  E_TAR_FORMAT: 'the decrypted content is not a valid tar archive',
  E_TAR_UNSAFE: 'the archive holds an entry that is refused (path escape, link, device…)',
  E_TAR_LIMIT: 'an archive header exceeds a size limit',
  E_TAR_HASH: 'an extracted file does not match its recorded SHA-256',
  E_BLOB_ID: 'a blob ID is malformed',
  E_BLOB_HASH: 'a blob does not hash to its name',
  E_NO_DESTINATION: 'no destination is configured',
  E_LEDGER: 'the ledger is damaged or from a newer version',
  E_IDENTITY: 'the device identity is damaged',
  E_BAD_DEVICE_ID: 'a device ID is malformed or a check character is wrong',
  E_BAD_CERT: 'a device certificate cannot be read',
  E_PROTO_MALFORMED: 'a peer sent a frame that does not decode',
  E_PROTO_UNKNOWN: 'a peer sent a message type this version does not know',
  E_PROTO_VERSION: 'a peer speaks an incompatible protocol version',
  E_PROTO_STATE: 'a peer sent a message that is not valid at this point',
  E_PROTO_LIMIT: 'a peer sent something above a size or count limit',
  E_PROTO_SIZE: "a blob's bytes do not add up to its announced size",
  E_PROTO_HASH: "a blob's bytes do not hash to its ID",
  E_PROTO_IO: 'the receiving device could not store the bytes',
  E_PROTO_TICKET: 'a ticket, receipt or release has a wrong signature or wrong fields',
  E_PEER_MISMATCH: 'the peer presented a different device ID than the one dialed',
  E_PEER_REFUSED: 'the peer refused the link',
  E_PEER_BLOCKED: 'the device is blocked here, so no link is made with it',
  E_PEER_SELF: 'a link from this device to itself was refused',
  E_LINK_LIMIT: 'too many peer links are open (here or at the peer)',
  E_LINK_FAILED: 'a peer link could not be set up',
  E_LINK_CLOSED: 'the peer link is closed',
  E_LINK_FRAME_TOO_LARGE: 'a frame is larger than a peer link carries',
  E_ABORTED: 'the operation was cancelled',
  E_BAD_PEER_ADDRESS: 'a peer address (HOST:PORT) is malformed',
  E_PEER_LIST_FULL: 'the list of manually added peers is full',
  E_MDNS_START: 'mDNS discovery could not open its socket',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
