/**
 * `sockit check` as a library: read a spec file, run its checks, and make the reports.
 *
 * @module
 */
export {
  CHECK_DEFAULTS,
  CHECK_KINDS,
  EXPECT_KEYS,
  KIND_KEYS,
  loadSpec,
  MIN_EVERY_MS,
  SpecError,
} from "./spec.ts";
export type { CheckDef, CheckKind, CheckSpec, LoadSpecOptions } from "./spec.ts";
export { formatOf, readTree } from "./tree.ts";
export type { SourcePos, SpecFormat, SpecNode, SpecProblem } from "./tree.ts";
export { expandVars } from "./vars.ts";
export { figure, runChecks } from "./runner.ts";
export type {
  AttemptRecord,
  CheckFailure,
  CheckResult,
  CheckStatus,
  PlannedCheck,
  RunChecksOptions,
} from "./runner.ts";
export {
  classnames,
  countResults,
  githubAnnotations,
  jsonReport,
  jsonResult,
  junitReport,
  junitTestcase,
  markdownSummary,
  MAX_VANTAGE_LENGTH,
  summaryLine,
  tapReport,
  vantageProblem,
} from "./report.ts";
export type { Counts, JunitTestcase, RunReport } from "./report.ts";
export {
  cellText,
  distinctViews,
  MAX_MERGED_REPORTS,
  mergeCounts,
  mergedJsonReport,
  mergedJunitReport,
  mergedTapReport,
  MergeError,
  mergeReports,
  parseFailOn,
  parseReport,
  viewText,
} from "./merge.ts";
export { FINGERPRINT_VERSION, resultFingerprint } from "./fingerprint.ts";
export type {
  FailOn,
  MergedCheck,
  MergedRun,
  ReportCheck,
  VantageReport,
  VantageView,
} from "./merge.ts";
export { MASK, Redactor } from "./redact.ts";
export { emptySelection, selectChecks } from "./select.ts";
export type { CheckFilter } from "./select.ts";
export { formatChecksYaml } from "./emit.ts";
export type { CheckObject } from "./emit.ts";
