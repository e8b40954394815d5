// What a transport (Electron IPC, the headless HTTP/WebSocket bridge) needs of the core: one
// dispatcher for calls and one stream of events. Both transports take this and nothing else, so
// they carry the same contract (src/shared/api.ts) with the same checks.

import type { ApiEventMessage, ApiReply } from '../../shared/api.js';

export interface ApiHost {
  /**
   * Runs `method` with untrusted `args`: unknown method → E_USAGE, arguments parsed by the
   * contract's parser before anything else, every error mapped to a code and a sentence. Never throws.
   */
  dispatch(method: string, args: unknown): Promise<ApiReply>;
  /** Core events for the UI, as they happen; returns an unsubscribe function. */
  subscribe(listener: (message: ApiEventMessage) => void): () => void;
}
