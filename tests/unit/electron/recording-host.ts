// An ApiHost that records what reaches it: for the IPC tests that must prove a call was NOT
// dispatched (the real dispatcher is used wherever the answer itself matters: shell.test.ts).

import type { ApiEventMessage, ApiReply } from '../../../src/shared/api.js';
import type { ApiHost } from '../../../src/main/api/api-host.js';

export function recordingHost(): ApiHost & { calls: { method: string; args: unknown }[]; push(message: ApiEventMessage): void; listeners: number } {
  const calls: { method: string; args: unknown }[] = [];
  const listeners = new Set<(message: ApiEventMessage) => void>();
  return {
    calls,
    get listeners() {
      return listeners.size;
    },
    async dispatch(method: string, args: unknown): Promise<ApiReply> {
      calls.push({ method, args });
      return { ok: true, result: { answered: method } as never };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    push(message) {
      for (const l of listeners) l(message);
    },
  };
}
