/**
 * Name resolution two ways: as programs see it (getaddrinfo through `node:dns`), and as a given
 * DNS server answers (sockit's own codec over UDP and TCP).
 *
 * @example Ask a local responder
 * ```ts
 * import { queryDns, RecordType, startResponder } from "./mod.ts";
 * import assert from "node:assert/strict";
 * await using responder = await startResponder({ "demo.test": ["192.0.2.7"] });
 * const { message } = await queryDns("demo.test", RecordType.A, responder.server);
 * assert.equal(message.answers.length, 1);
 * ```
 *
 * @module
 */
export { compareResolvers } from "./compare.ts";
export type { ComparisonVerdict, ResolverComparison, ServerSide, SystemSide } from "./compare.ts";
export {
  encodeDnsName,
  fqdn,
  MAX_LABEL_BYTES,
  MAX_NAME_BYTES,
  normalizeDnsName,
  parseDnsName,
  sameDnsName,
} from "./name.ts";
export type { DnsNameForms } from "./name.ts";
export {
  addressesOf,
  answersFor,
  describeDnsFailure,
  dnsOutcome,
  parseDnsServer,
} from "./outcome.ts";
export { DnsClient, formatServer, queryDns } from "./query.ts";
export type { DnsQueryOptions, DnsQueryResult, DnsServer } from "./query.ts";
export { firstNameserver, nameservers, systemNameserver } from "./resolv_conf.ts";
export { answerFromTable, startResponder } from "./responder.ts";
export type { Responder, ResponderHandler } from "./responder.ts";
export { lookupSystem } from "./system.ts";
export type { LookupOptions, SystemAddress, SystemFailure } from "./system.ts";
export {
  buildQuery,
  CLASS_IN,
  decodeMessage,
  EDNS_UDP_SIZE,
  encodeMessage,
  formatRecordData,
  parseRecordType,
  Rcode,
  rcodeName,
  RecordType,
  reverseName,
  typeCode,
  typeName,
} from "./wire.ts";
export type {
  DnsFlags,
  DnsMessage,
  DnsQuestion,
  DnsRecord,
  Edns,
  QueryOptions,
  RecordData,
} from "./wire.ts";
