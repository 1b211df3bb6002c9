/**
 * The socket-level trace: protocol code reports each step (connect, send, recv, shutdown,
 * close) to an optional callback, and the CLI decides how to show it. With no callback the
 * hot paths skip the work entirely.
 *
 * @module
 */

/** One socket-level step. */
export interface TraceEvent {
  /** The step, as the tutorial names it: `resolve`, `connect`, `send`, `recv`, `shutdown`, `close`, `accept`. */
  step: string;
  /** Which connection or peer, when there are several. */
  conn?: string;
  /** A short human detail: an address, `EOF`, an error. */
  detail?: string;
  /** Bytes moved by this step. */
  bytes?: number;
  /** The bytes themselves (a view: copy it to keep it). */
  data?: Uint8Array;
}

/** Receives {@linkcode TraceEvent}s; must not throw and should return quickly. */
export type TraceFn = (event: TraceEvent) => void;
