/**
 * The client's old path, kept only for the modules outside this change that still import it
 * (`lib/cli/http_options.ts`, `lib/probe/probe.ts`, `lib/cli/demo.ts`): import from `./mod.ts`,
 * or from the module of each concern, instead. The connection pool is `./pool.ts`, one
 * connection `./connection.ts`, fetch with redirects `./fetch.ts`, body decoding `./decode.ts`.
 *
 * @module
 */
export { acceptEncoding } from "./decode.ts";
export { fetchUrl } from "./fetch.ts";
export { HttpClient } from "./pool.ts";
