/**
 * The parts of `@logtape/logtape` that `log.ts` uses, re-exported by name and loaded with
 * `import()` from there. An `import()` of the package itself keeps all of it in the bundle, as
 * the bundler cannot tell which exports are used; named here, it keeps these and what they need
 * (47 of its 75 KB): a smaller file for Deno to load before any command starts.
 *
 * @module
 */
export { configure, getLogger, reset } from "@logtape/logtape";
