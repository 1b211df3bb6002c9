/**
 * Networking basics shared by every sockit tool: connecting with timing, deadlines, full
 * writes, the error family and the socket-level trace.
 *
 * @example
 * ```ts
 * import { dial, withDeadline } from "./mod.ts";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const accepted = listener.accept();
 * const { conn } = await withDeadline(1000, "Connecting", (signal) =>
 *   dial({ hostname: "127.0.0.1", port: listener.addr.port }, { signal }));
 * conn.close();
 * (await accepted).close();
 * ```
 *
 * @module
 */
export {
  canonicalIp,
  checkPort,
  formatAddr,
  formatHostPort,
  formatIpv6,
  ipFamily,
  ipv4Bytes,
  ipv6Bytes,
  isIpLiteral,
  isLoopback,
} from "./addr.ts";
export { concatBytes, indexOfBytes } from "./bytes.ts";
export { closeOnAbort, closeQuietly } from "./close.ts";
export type { Closable } from "./close.ts";
export { withConn } from "./conn.ts";
export type { WithConnOptions } from "./conn.ts";
export { describeNetError, dial, formatTarget, isPeerGone, resolveHost } from "./dial.ts";
export type { Dialed, DialOptions, DialTarget } from "./dial.ts";
export { formatDuration, withDeadline } from "./deadline.ts";
export type { DeadlineOptions } from "./deadline.ts";
export {
  CheckError,
  ConnectError,
  InterruptedError,
  invalidInput,
  isInvalidInput,
  LimitError,
  ProtocolError,
  ResolveError,
  SockitError,
  TimeoutError,
  TlsError,
} from "./errors.ts";
export type {
  ErrorKind,
  InterruptedErrorOptions,
  InvalidInput,
  SockitErrorOptions,
} from "./errors.ts";
export { describeFileError } from "./file_error.ts";
export { bytesReader, writeAll } from "./io.ts";
export { overrideKey, parseAddressOverride } from "./override.ts";
export { pooledBatches } from "./pool.ts";
export type { AddressOverride } from "./override.ts";
export { readWithTimeout } from "./read_timeout.ts";
export { mayRetry, pauseBefore } from "./retry.ts";
export type { RetrySchedule } from "./retry.ts";
export { MAX_TIMER_MS, settleWithin, sleep, startTimer } from "./timer.ts";
export type { Timer } from "./timer.ts";
export type { ByteReader, ByteWriter } from "./io.ts";
export { percentile, summarize } from "./stats.ts";
export { BufReader, type BufReaderOptions } from "./reader.ts";
export type { LatencySummary } from "./stats.ts";
export type { TraceEvent, TraceFn } from "./trace.ts";
export {
  CERTIFICATE_KINDS,
  checkCertificatePem,
  checkKeyPair,
  describeTlsError,
  isCertificateFailure,
  isTlsTruncation,
  keyPairFailure,
  startTls,
  tlsFailure,
} from "./tls.ts";
export type { StartTlsOptions, TlsClientConn, TlsKeyPair } from "./tls.ts";
export { type ClientTls, overStream, type TlsUsed } from "./tls_stream.ts";
export { bindUdp, MAX_UDP_PAYLOAD_V4, MAX_UDP_PAYLOAD_V6, maxUdpPayload, udpAddr } from "./udp.ts";
export type { Datagram, UdpSocket } from "./udp.ts";
