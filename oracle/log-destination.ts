/**
 * The logger's destination (issue 19 §4): logging never blocks the service. pino's default
 * destination writes synchronously and, on a full disk or a stuck pipe, either throws into the
 * request that logged or retries in a loop that holds the event loop (HTTP stops, SIGTERM is
 * never handled). This one queues lines in memory (bounded), writes them asynchronously one
 * chunk at a time, and drops what it cannot write: a failed chunk on any error but `EAGAIN`
 * (retried later, on a timer), new lines while the queue is full. Drops are counted
 * (`dropped`, `lastError`), never retried in a loop, never thrown.
 */
import { write as fsWrite } from 'node:fs';

const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
const EAGAIN_RETRY_MS = 50;

export class NonBlockingDestination {
  #queue: string[] = [];
  #queuedBytes = 0;
  #writing = false;
  #idle: (() => void)[] = [];
  /** Log lines dropped because the queue was full or the write failed. */
  dropped = 0;
  /** The code of the last write error (`ENOSPC`, `EPIPE`, ...), if any. */
  lastError: string | undefined;

  constructor(
    readonly fd: number,
    readonly maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES,
  ) {}

  /** pino's DestinationStream: never blocks, never throws. */
  write(line: string): boolean {
    const bytes = Buffer.byteLength(line);
    if (this.#queuedBytes + bytes > this.maxQueuedBytes) {
      this.dropped += 1;
      return false;
    }
    this.#queue.push(line);
    this.#queuedBytes += bytes;
    this.#kick();
    return true;
  }

  /** Resolves when the queue is empty, or after `timeoutMs` (a stuck destination must not hold a stop). */
  flush(timeoutMs = 1000): Promise<void> {
    if (!this.#writing && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      t.unref();
      this.#idle.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  #kick(): void {
    if (this.#writing) return;
    if (this.#queue.length === 0) {
      for (const f of this.#idle.splice(0)) f();
      return;
    }
    const lines = this.#queue.length;
    const chunk = Buffer.from(this.#queue.join(''));
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#writing = true;
    this.#writeChunk(chunk, lines);
  }

  #writeChunk(chunk: Buffer, lines: number): void {
    fsWrite(this.fd, chunk, 0, chunk.length, null, (err, written) => {
      if (err !== null) {
        this.lastError = err.code;
        if (err.code === 'EAGAIN') {
          // A non-blocking pipe whose reader is slow: try the same chunk again later.
          setTimeout(() => this.#writeChunk(chunk, lines), EAGAIN_RETRY_MS).unref();
          return;
        }
        this.dropped += lines;
      } else if (written < chunk.length) {
        this.#writeChunk(chunk.subarray(written), lines);
        return;
      }
      this.#writing = false;
      this.#kick();
    });
  }
}
