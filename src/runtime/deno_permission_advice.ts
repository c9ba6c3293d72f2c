/**
 * What messages say a Deno permission is missing from and how to grant it. A process has the permissions of its
 * `--allow-*` flags; a Web Worker only those its creator gave in `deno.permissions` (never more than the
 * process's), so a worker made with `net: false` in a process run with `-A` is refused: telling it to "run with
 * --allow-net" names a flag the process already has.
 *
 * @module
 */

import process from "node:process";
import { wordList } from "../base/_word_list.ts";
import { runtimeKey } from "./runtime.ts";

/**
 * Whether this code runs in a Deno Web Worker, whose permissions may be fewer than the process's.
 *
 * @returns `true` in a Deno Web Worker; `false` in Deno's main thread, on Bun and on Node (whose workers have the
 * process's permissions).
 *
 * @example
 * ```ts
 * import { inDenoWorker } from "./deno_permission_advice.ts";
 * console.log(inDenoWorker()); // false, in a main thread
 * ```
 */
export function inDenoWorker(): boolean {
  const scope = (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope;
  return runtimeKey() === "deno" && typeof scope === "function" && globalThis instanceof scope;
}

/**
 * What holds the permission, as a message names it.
 *
 * @returns `this Deno process`, or `this Deno worker` in a Web Worker.
 *
 * @example
 * ```ts
 * import { denoHolder } from "./deno_permission_advice.ts";
 * console.log(`${denoHolder()} may not read HOME`); // this Deno process may not read HOME
 * ```
 */
export function denoHolder(): string {
  return inDenoWorker() ? "this Deno worker" : "this Deno process";
}

/**
 * Whether this is a program that `deno compile` made (`Deno.build.standalone`): its permissions are the flags it was
 * compiled with, and flags given when it runs are only its arguments. `false` elsewhere, on Bun and on Node.
 */
function compiledByDeno(): boolean {
  const build = (globalThis as { Deno?: { build?: { standalone?: unknown } } }).Deno?.build;
  return runtimeKey() === "deno" && build?.standalone === true;
}

/**
 * Whether Deno's `--allow-*` list can hold `value`: Deno 2.9.6 splits the list at every comma and takes no escape
 * for one (`,,` too is split), so a value with a comma is granted only by the flag without a list. A Worker's
 * `deno.permissions` array holds any value.
 */
function fitsFlagList(value: string): boolean {
  return !value.includes(",");
}

/**
 * How to grant a permission: the flag for a process (for a compiled program, the flag of `deno compile`), the
 * `deno.permissions` entry for a Web Worker (and the flag, as a worker gets nothing its process lacks).
 *
 * @param permission The permission's name, as in its flag: `net`, `read`, `env`, `run`, `sys`.
 * @param value One value to grant it for, or none for all; a value with a comma, which Deno's list cannot hold, is
 * left out of the flag with a note.
 * @returns Advice such as `run it with --allow-net`; a flag with a space is quoted as the platform's shell needs it.
 *
 * @example
 * ```ts
 * import { grantAdvice } from "./deno_permission_advice.ts";
 * console.log(grantAdvice("sys", "homedir")); // run it with --allow-sys=homedir
 * ```
 */
export function grantAdvice(permission: string, value?: string): string {
  const unlistable = value !== undefined && !fitsFlagList(value);
  const flag = shellWord(`--allow-${permission}${value === undefined || unlistable ? "" : `=${value}`}`);
  const flags = flagAdvice([flag]);
  if (!inDenoWorker()) return unlistable ? `${flags} (${commaNote(permission)})` : flags;
  const entry = value === undefined ? permission : `${permission}: [${JSON.stringify(value)}]`;
  // Already in brackets: the note follows the flag, not in brackets of its own.
  const why = unlistable ? `, as ${commaNote(permission)}` : "";
  return `give it ${entry} in its Worker's deno.permissions (and ${flags}${why})`;
}

/** Why a value is left out of a flag's list. */
function commaNote(permission: string): string {
  return `a comma in the name keeps it out of --allow-${permission}'s list`;
}

/**
 * How to grant a permission for one value, with the other way, adding `what` to the flag's list, when the list can
 * hold the value (a value with a comma it cannot: then only the flag without a list is advised).
 *
 * @param permission The permission's name, as in its flag.
 * @param value The value to grant it for, or none when the advice may not name it.
 * @param what How the advice names the value: `the file`, `the address`.
 * @returns Advice such as `run it with --allow-read=/k/config, or add the file to its list`.
 *
 * @example
 * ```ts
 * import { grantOrListAdvice } from "./deno_permission_advice.ts";
 * console.log(grantOrListAdvice("read", undefined, "the file")); // run it with --allow-read, or add the file to its list
 * ```
 */
export function grantOrListAdvice(permission: string, value: string | undefined, what: string): string {
  const advice = grantAdvice(permission, value);
  return value === undefined || fitsFlagList(value) ? `${advice}, or add ${what} to its list` : advice;
}

/**
 * How to give the process flags: run it with them, or, for a compiled program, compile it again with them; in a Web
 * Worker, the process's flags, which the worker's own `deno.permissions` cannot exceed.
 *
 * @param flags The flags, as written: `["--allow-run", "--allow-env"]`.
 * @returns Advice such as `run it with --allow-run and --allow-env`, or `run the process with ...` in a Web Worker.
 *
 * @example
 * ```ts
 * import { flagAdvice } from "./deno_permission_advice.ts";
 * console.log(flagAdvice(["--allow-run", "--allow-env"])); // run it with --allow-run and --allow-env
 * ```
 */
export function flagAdvice(flags: string[]): string {
  const listed = flags.join(" and ");
  if (inDenoWorker()) return `${compiledByDeno() ? "compile the program" : "run the process"} with ${listed}`;
  return compiledByDeno()
    ? `compile it again with ${listed} (deno compile ${flags.join(" ")} ...: a compiled program has the permissions ` +
      "it was compiled with)"
    : `run it with ${listed}`;
}

/**
 * A permission with a list of values, as an example: the flag for a process, the `deno.permissions` entry for a
 * Web Worker. The flag leaves out a value with a comma, which its list cannot hold (see `listsEvery()`).
 *
 * @param permission The permission's name, as in its flag.
 * @param values The values the list holds, among others.
 * @returns Such as `--allow-env=KUBECONFIG,...`, or `env: ["KUBECONFIG", ...]` in a Web Worker.
 *
 * @example
 * ```ts
 * import { listedGrant } from "./deno_permission_advice.ts";
 * console.log(listedGrant("env", ["KUBECONFIG"])); // --allow-env=KUBECONFIG,...
 * ```
 */
export function listedGrant(permission: string, values: readonly string[]): string {
  return inDenoWorker()
    ? `${permission}: [${values.map((value) => JSON.stringify(value)).join(", ")}, ...]`
    : shellWord(`--allow-${permission}=${[...values.filter(fitsFlagList), "..."].join(",")}`);
}

/**
 * Whether the list {@linkcode listedGrant} writes can hold every one of `values`: Deno's `--allow-*` list cannot
 * hold one with a comma, so advice to add them to it would not grant it; a Web Worker's `deno.permissions` array
 * holds any.
 *
 * @param values The values.
 * @returns `false` when a value holds a comma, outside a Web Worker.
 *
 * @example
 * ```ts
 * import { listsEvery } from "./deno_permission_advice.ts";
 * console.log(listsEvery(["/k/a,b/ca.crt"])); // false
 * ```
 */
export function listsEvery(values: readonly string[]): boolean {
  return inDenoWorker() || values.every(fitsFlagList);
}

/**
 * A flag as the platform's shell takes it as one word. POSIX: in single quotes when it holds a space or another
 * special character (`~` too, a pattern under zsh's extendedglob). Windows: `\` is a path's separator, and quotes
 * are double ones, which cmd.exe and PowerShell both take (a Windows path holds no `"`).
 */
function shellWord(flag: string): string {
  if (process.platform === "win32") return /^[\w@%+=:,./\\-]*$/.test(flag) ? flag : `"${flag}"`;
  return /^[\w@%+=:,./-]*$/.test(flag) ? flag : `'${flag.replace(/'/g, "'\\''")}'`;
}

/** Deno's permission state for `descriptor`, when it can be asked. */
function permissionState(descriptor: { name: string; variable?: string }): string | undefined {
  type Query = (descriptor: { name: string; variable?: string }) => { state: string };
  const permissions = (globalThis as { Deno?: { permissions?: { querySync?: Query } } }).Deno?.permissions;
  if (runtimeKey() !== "deno" || typeof permissions?.querySync !== "function") return undefined;
  try {
    return permissions.querySync(descriptor).state;
  } catch {
    return undefined;
  }
}

/**
 * Whether this process may read the environment variable `variable` now, asked without a prompt: always on Node and
 * Bun, on Deno only when it is granted already.
 *
 * @param variable The variable.
 * @returns `true` when reading it asks nothing and is not refused.
 *
 * @example
 * ```ts
 * import { envReadable } from "./deno_permission_advice.ts";
 * console.log(envReadable("DENO_TLS_CA_STORE"));
 * ```
 */
export function envReadable(variable: string): boolean {
  return runtimeKey() !== "deno" || envState(variable) === "granted";
}

/** Deno's permission state for reading a variable, or for reading every variable, when it can be asked. */
function envState(variable?: string): string | undefined {
  return permissionState(variable === undefined ? { name: "env" } : { name: "env", variable });
}

/**
 * Deno's state for reading every variable when this module loaded, before the package read any. Once Deno refuses a
 * variable it could have asked for (no terminal to ask on, as in CI, or the answer "n"), it reports that variable,
 * and every variable, as `denied`, which is otherwise what `--deny-env` without a list does: only the state from
 * before tells the flag apart (`--no-prompt` leaves the state as it was).
 */
const envStateAtLoad = envState();

/** Deno's state for reading each variable the package read, as it was before the package first read it. */
const envStatesBeforeRead = new Map<string, string | undefined>();

/**
 * Notes Deno's state for reading a variable, to call before the package first reads it: a refusal then cannot make
 * a variable that no `--deny-env` names read as denied by one.
 *
 * @param variable The variable about to be read.
 *
 * @example
 * ```ts
 * import { noteEnvStateBeforeRead } from "./deno_permission_advice.ts";
 * noteEnvStateBeforeRead("KUBECONFIG");
 * ```
 */
export function noteEnvStateBeforeRead(variable: string): void {
  if (runtimeKey() === "deno" && !envStatesBeforeRead.has(variable)) {
    envStatesBeforeRead.set(variable, envState(variable));
  }
}

/** Whether `--deny-env` without a list was given: every variable was denied before any was read. */
function everyEnvDeniedByFlag(): boolean {
  return envStateAtLoad === "denied";
}

/**
 * Whether a `--deny-env` denies `variable`, not a refusal at run time: until Deno refuses one, every variable reads
 * `denied` only by a flag. After, a variable the package read is judged by its state from before; one it did not read
 * (the HTTP client's, the YAML parser's) counts as refused, the likelier case.
 */
function envDeniedByFlag(variable: string): boolean {
  if (envState(variable) !== "denied") return false;
  if (everyEnvDeniedByFlag() || envState() === envStateAtLoad) return true;
  return envStatesBeforeRead.get(variable) === "denied";
}

/**
 * Whether Deno grants every permission but env, as -A does (no flag says so itself): Deno then takes no other
 * `--allow-` flag beside it.
 *
 * @returns `true` under -A (or every permission granted one by one), else `false` (and not on Deno).
 *
 * @example
 * ```ts
 * import { everyOtherGranted } from "./deno_permission_advice.ts";
 * console.log(everyOtherGranted()); // true with -A
 * ```
 */
export function everyOtherGranted(): boolean {
  return ["read", "write", "net", "run", "sys", "ffi"].every((name) => permissionState({ name }) === "granted");
}

/** How a message names `--deny-env`: the process's, or the one a compiled program was compiled with. */
function denyEnvFlag(): string {
  if (compiledByDeno()) return "the --deny-env it was compiled with";
  return inDenoWorker() ? "the process's --deny-env" : "--deny-env";
}

/**
 * What to do when `--deny-env` has no list: it denies every variable, so Deno refuses the whole environment (which a
 * child process gets) whatever `--allow-env` grants.
 *
 * @returns `drop --deny-env, which denies every variable when it has no list`, or `undefined` when no such
 * `--deny-env` is given (or not on Deno).
 *
 * @example
 * ```ts
 * import { everyEnvDeniedAdvice } from "./deno_permission_advice.ts";
 * console.log(everyEnvDeniedAdvice()); // undefined, unless run with --deny-env
 * ```
 */
export function everyEnvDeniedAdvice(): string | undefined {
  return everyEnvDeniedByFlag() ? `drop ${denyEnvFlag()}, which denies every variable when it has no list` : undefined;
}

/**
 * What to do about variables that Deno refused to read when `--deny-env` names some of them. Deno's own error reads
 * the same for a denied variable as for one no `--allow-env` grants ("Requires env access to ..., run again with the
 * --allow-env flag"); its permission state tells them apart (`denied`, not `prompt`), as it was before Deno refused
 * one at run time (`envDeniedByFlag()`).
 *
 * @param names The variables Deno refused to read.
 * @returns Advice such as `drop it from --deny-env, which denies it` (for one without a list, which `--allow-env`'s
 * list still overrides: `--deny-env, without a list, denies every variable that --allow-env's list does not name:
 * add it to that list ...`, or beside -A `... drop --deny-env (then -A grants it) ...`), or `undefined` when no deny
 * names any of them (or not on Deno): they are then only not
 * granted.
 *
 * @example
 * ```ts
 * import { deniedEnvAdvice } from "./deno_permission_advice.ts";
 * console.log(deniedEnvAdvice(["POD_NAMESPACE"])); // undefined, unless --deny-env names it
 * ```
 */
export function deniedEnvAdvice(names: readonly string[]): string | undefined {
  const denied = names.filter(envDeniedByFlag);
  if (denied.length === 0) return undefined;
  const flag = denyEnvFlag();
  const pronoun = (items: readonly string[]) => items.length > 1 ? "them" : "it";
  if (everyEnvDeniedByFlag()) {
    // --deny-env without a list still lets --allow-env's list grant the variables it names (Deno 2.9): naming them
    // there is enough, and dropping the deny alone is not, without --allow-env. Deno refuses -A beside an --allow-env
    // flag: there, dropping the deny, or giving it a list, is the way.
    const them = pronoun(names);
    const list = `--allow-env=${names.join(",")},...`;
    const entry = listedGrant("env", names);
    const fix = inDenoWorker()
      ? `add ${them} to the process's list and to its Worker's deno.permissions (${list} and ${entry})`
      : everyOtherGranted()
      ? `drop ${flag} (then -A grants ${them}), or list in it only the variables to deny (-A takes no --allow-env ` +
        "beside it)"
      : `add ${them} to that list (${list}), or drop ${flag} (then --allow-env or -A grants ${them})`;
    return `${flag}, without a list, denies every variable that --allow-env's list does not name: ${fix}`;
  }
  const all = denied.length === names.length;
  // Without --allow-env for every variable, one that a list does not grant is refused after the deny goes too; a
  // denied variable reads as denied whether or not the list names it.
  const where = inDenoWorker() ? "its Worker's deno.permissions" : "--allow-env's list";
  const unless = `unless ${names.length > 1 ? "they are" : "it is"} there (${listedGrant("env", names)})`;
  const grant = envState() === "granted"
    ? ""
    : `, and add ${all ? pronoun(names) : wordList(names)} to ${where} ${unless}`;
  return `drop ${all ? pronoun(denied) : wordList(denied)} from ${flag}, which denies ${pronoun(denied)}${grant}`;
}

/**
 * What to do about variables that Deno refused to read: drop them from `--deny-env` when it names them
 * (`deniedEnvAdvice()`), else grant them.
 *
 * @param names The variables Deno refused to read.
 * @param what How the advice names them: `it`, `them`, or their names.
 * @param example Whether to give the list as an example: `(--allow-env=KUBECONFIG,...)`.
 * @returns Advice such as `run it with --allow-env, or add HOME to its list`.
 *
 * @example
 * ```ts
 * import { refusedEnvAdvice } from "./deno_permission_advice.ts";
 * console.log(refusedEnvAdvice(["HOME"], "HOME")); // run it with --allow-env, or add HOME to its list
 * ```
 */
export function refusedEnvAdvice(names: readonly string[], what: string, example = false): string {
  return deniedEnvAdvice(names) ??
    `${grantAdvice("env")}, or add ${what} to its list${example ? ` (${listedGrant("env", names)})` : ""}`;
}

/**
 * The address Deno refused to connect to, as its own words quote it (`Requires net access to "10.0.0.1:50051"`): a
 * host and port in the form `--allow-net` takes, an IPv6 host in brackets (`[fd00::1]:443`).
 *
 * @param error The error's text.
 * @returns The address, or `undefined` when the text quotes none.
 *
 * @example
 * ```ts
 * import { refusedNetAddress } from "./deno_permission_advice.ts";
 * console.log(refusedNetAddress('Requires net access to "127.0.0.1:6443"')); // 127.0.0.1:6443
 * ```
 */
export function refusedNetAddress(error: string): string | undefined {
  return /\bRequires net access to "([^"\s]+)"/.exec(error)?.[1];
}

/**
 * The private IPv4 ranges a pod network is usually carved from (RFC 1918, the shared range of RFC 6598, loopback),
 * as `[first octet, prefix length, second octet's lowest, second octet's highest]`.
 */
const POD_RANGES: ReadonlyArray<readonly [number, number, number, number]> = [
  [10, 8, 0, 255],
  [172, 12, 16, 31],
  [192, 16, 168, 168],
  [100, 10, 64, 127],
  [127, 8, 0, 255],
];

/**
 * A range that holds a refused pod's IPv4 address, as an example for `--allow-net`, which takes CIDR ranges (Deno
 * 2.9.6 took `10.0.0.0/8` and `10.0.0.0/8:50051`, and no IPv6 range): the private range it lies in, else its /16.
 */
function podRangeOf(address: string): string | undefined {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):\d+$/.exec(address)?.slice(1).map(Number);
  // 300.1.0.0 is no IPv4 address: no range holds it.
  if (octets === undefined || octets.some((octet) => octet > 255)) return undefined;
  const [first, second] = octets;
  const range = POD_RANGES.find(([start, , low, high]) => first === start && second >= low && second <= high);
  if (range === undefined) return `${first}.${second}.0.0/16`;
  const [, prefix, low] = range;
  return `${first}.${prefix > 8 ? low : 0}.0.0/${prefix}`;
}

/**
 * What to do about a connection to a pod that Deno refused: its own words ("Requires net access to ...") say to run
 * the process again with `--allow-net`, which does not help a Web Worker. A list of pods would be wrong as soon as
 * they are replaced (every rollout gives new addresses): the advice names the pods' network, as a range.
 *
 * @param error The last connection error, as grpc-js reports it.
 * @returns Advice that starts with `: `, or an empty string for any other error.
 *
 * @example
 * ```ts
 * import { podNetAdvice } from "./deno_permission_advice.ts";
 * console.log(podNetAdvice('NotCapable: Requires net access to "10.0.0.1:50051"'));
 * // : this Deno process may not connect to the pods: add the pods' network (the cluster's pod CIDR) to its
 * // --allow-net list, e.g. --allow-net=<API server>,10.0.0.0/8, as pod addresses change at every rollout
 * ```
 */
export function podNetAdvice(error: string): string {
  if (!/\bRequires net access to\b/.test(error)) return "";
  const address = refusedNetAddress(error);
  const range = address === undefined ? undefined : podRangeOf(address);
  if (range === undefined) {
    // An IPv6 pod: Deno 2.9.6 takes no IPv6 range, so only the permission without a list covers every rollout. A
    // name, or no valid address, tells no range either, and is no IPv6 address.
    const why = address?.startsWith("[") ? " (Deno takes no IPv6 range in --allow-net's list)" : "";
    return `: ${denoHolder()} may not connect to the pods: ${grantAdvice("net")}, as pod addresses change at every ` +
      `rollout${why}`;
  }
  const flag = `--allow-net=<API server>,${range}`;
  // A compiled program's list is the one of deno compile, in a Worker too.
  const [processList, example] = compiledByDeno()
    ? ["the --allow-net list the program is compiled with", `deno compile ${flag} ...`]
    : ["the process's --allow-net list", flag];
  // Under -A or a bare --allow-net, Deno 2.9.6 let a Worker's own net: ["127.0.0.0/8"] connect; under a list it
  // refused the range as an escalation. "inherit" works in both.
  const list = inDenoWorker()
    ? `${processList} and give its Worker net: "inherit" in its deno.permissions, e.g. ${example} (when the ` +
      "process runs with an --allow-net list, Deno refuses a range in a Worker's own list as an escalation)"
    : compiledByDeno()
    ? `the --allow-net list it is compiled with, e.g. ${example}`
    : `its --allow-net list, e.g. ${example}`;
  return `: ${denoHolder()} may not connect to the pods: add the pods' network (the cluster's pod CIDR) to ${list}, ` +
    "as pod addresses change at every rollout";
}
