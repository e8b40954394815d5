// Import progress for the CLI and the UI: files and bytes done of the total, files/s and bytes/s
// since the phase began, and the time left at that pace. Reported after each file and, within a
// large file, at most every PROGRESS_INTERVAL_MS.

/** Often enough for a live bar, rare enough that a 100 000-file import does not flood IPC. */
export const PROGRESS_INTERVAL_MS = 250;

/** 'downloading' only for a PTP camera, whose files are fetched through gphoto2 before they are copied. */
export type ImportPhase = 'scanning' | 'downloading' | 'copying' | 'sealing' | 'done';

export interface ImportProgress {
  readonly phase: ImportPhase;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly filesPerSec: number;
  readonly bytesPerSec: number;
  /** Seconds left at the current pace; null until there is a pace to go by. */
  readonly etaSeconds: number | null;
}

export class ProgressMeter {
  private phase_: ImportPhase = 'scanning';
  private filesDone = 0;
  private filesTotal = 0;
  private bytesDone = 0;
  private bytesTotal = 0;
  private startedAt = 0;
  private lastReport = -Infinity;

  constructor(
    private readonly now: () => number,
    private readonly listener?: (progress: ImportProgress) => void,
  ) {}

  phase(phase: ImportPhase, filesTotal: number, bytesTotal: number): void {
    this.phase_ = phase;
    this.filesDone = 0;
    this.bytesDone = 0;
    this.filesTotal = filesTotal;
    this.bytesTotal = bytesTotal;
    this.startedAt = this.now();
    this.report(true);
  }

  bytes(n: number): void {
    this.bytesDone += n;
    this.report(false);
  }

  /**
   * Files and bytes done so far, as counted from outside (a download folder's growth), capped at the
   * totals: such a count may include files the plan did not (left by an earlier, cancelled run).
   */
  set(filesDone: number, bytesDone: number): void {
    const files = Math.min(filesDone, this.filesTotal);
    const bytes = Math.min(bytesDone, this.bytesTotal);
    if (files === this.filesDone && bytes === this.bytesDone) return;
    this.filesDone = files;
    this.bytesDone = bytes;
    this.report(false);
  }

  fileDone(extraBytes: number): void {
    this.filesDone++;
    this.bytesDone += extraBytes;
    this.report(true);
  }

  snapshot(): ImportProgress {
    const seconds = (this.now() - this.startedAt) / 1000;
    const filesPerSec = seconds > 0 ? this.filesDone / seconds : 0;
    const bytesPerSec = seconds > 0 ? this.bytesDone / seconds : 0;
    let etaSeconds: number | null = null;
    if (this.bytesTotal > 0 && bytesPerSec > 0) etaSeconds = Math.max(0, (this.bytesTotal - this.bytesDone) / bytesPerSec);
    else if (this.bytesTotal === 0 && filesPerSec > 0) etaSeconds = Math.max(0, (this.filesTotal - this.filesDone) / filesPerSec);
    return {
      phase: this.phase_,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      filesPerSec: Math.round(filesPerSec * 10) / 10,
      bytesPerSec: Math.round(bytesPerSec),
      etaSeconds: etaSeconds === null ? null : Math.round(etaSeconds),
    };
  }

  private report(always: boolean): void {
    if (this.listener === undefined) return;
    const t = this.now();
    if (!always && t - this.lastReport < PROGRESS_INTERVAL_MS) return;
    this.lastReport = t;
    this.listener(this.snapshot());
  }
}
