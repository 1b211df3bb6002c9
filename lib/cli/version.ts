/**
 * sockit's version, read from deno.json so that there is one place to bump it.
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };

/** The version of sockit. */
export const VERSION: string = config.version;

/** The `User-Agent`-style product token: `sockit/0.1.0`. */
export const PRODUCT = `sockit/${VERSION}`;
