#!/usr/bin/env node
/**
 * `kgr-resolver`, the command-line tool: shows which pods a `kubernetes:`
 * gRPC target resolves to and why the others are not used, live; checks
 * the RBAC grants a target needs. Run it, do not import it.
 *
 * @example Following a target
 * ```sh
 * deno run -A jsr:@kgr/resolver/cli kubernetes:///echo.prod:grpc
 * npx kgr-resolver --once --json kubernetes:///echo.prod:grpc
 * bunx --bun kgr-resolver check kubernetes:///echo.prod:grpc
 * ```
 *
 * @module
 */

import { runCli } from "./src/cli/main.ts";
import { cliProcess } from "./src/runtime/cli_process.ts";

const cli = cliProcess();
await cli.exit(await runCli(cli));
