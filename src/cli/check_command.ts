/**
 * `kgr-resolver check TARGET`: finds the cluster, asks the API server who
 * the credentials are, resolves the target once (whether it needs the
 * Service depends on its slices), asks whether the credentials may do what
 * the resolver does for it, prints a verdict per step (with a `topology`
 * step for a client that says where it is), and, when a grant is missing,
 * the roles and bindings that fix it: the Role and RoleBinding when a grant in
 * the namespace is missing, the ClusterRole and ClusterRoleBinding when `get`
 * on `nodes` is (with `--yaml`, those alone on standard output, for
 * `kubectl apply -f -`, and the report on standard error).
 *
 * @module
 */

import { missingNamespaceReason } from "../selection/no_endpoints_reason.ts";
import { type ResourceAttributes, reviewAccess, reviewSelf } from "./access_review.ts";
import { ConfigError, KubeApiError, ResolverError } from "../base/errors.ts";
import { CHECK_ADVICE } from "../api/api_errors.ts";
import { defaultNamespaceNote, missingNamespaceFix } from "../cluster/namespace_note.ts";
import { declaredLocality } from "../selection/locality.ts";
import { settledOnAbort } from "../runtime/abortable.ts";
import type { CliProcess } from "../runtime/cli_process.ts";
import {
  abandonConnect,
  type ClusterConnection,
  connectCluster,
  observeService,
  type ServiceView,
} from "./service_observer.ts";
import { lateAnswerAdvice, slowAccessAdvice, slowCredentialsAdvice } from "./timeout_advice.ts";
import type { CheckCommand } from "./args.ts";
import { reachableAdvice, slowListAdvice } from "./reachable_advice.ts";
import { type Grant, grantsToApply, rbacApplier, rbacYaml, subjectOf } from "./rbac_yaml.ts";
import { colorsWanted, painter, printable, type Style, takesEscapes, widestWord, wordWrap } from "./terminal.ts";
import { topologyReason } from "./topology_reason.ts";
import { clientWhereabouts } from "../selection/topology_reason.ts";
import { namespacePresence } from "./namespace_presence.ts";
import { inFlagTerms } from "./flag_terms.ts";
import { podSummary } from "./pod_reasons.ts";
import { unusedByZone } from "./unused_zones.ts";
import { externalNameDoubt, externalNamePresence, servicePresence, serviceReason } from "./service_presence.ts";
import { wordList } from "../base/_word_list.ts";
import { customSchemeNote, schemeAdvice } from "./scheme_advice.ts";
import { grpcProxyAdvice } from "./grpc_proxy_advice.ts";
import { displayClock } from "./display_clock.ts";
import { lastFailureText, READING_ACCESS, stoppedBy } from "./stopped_by.ts";

/** The verdict of one step. */
type Verdict = "ok" | "MISSING" | "FAILED" | "unknown";

/** Where a step's detail starts: after the verdict (8) and the step (9), each with a space. */
const DETAIL_COLUMN = 19;
/** Where a detail too wide for its column starts, on the lines below its step. */
const BELOW_INDENT = 2;
/** The narrowest the detail's column is used: narrower, a detail of a few words would take a line for each. */
const MIN_DETAIL_WIDTH = 20;

/** With `--yaml` and no grant missing: why standard output is empty, and what kubectl says of it. */
const NOTHING_TO_APPLY = "Nothing to apply: no grant is missing, so standard output is empty (kubectl apply -f - " +
  'then says "error: no objects passed to apply" and exits 1)';
const VERDICT_STYLE: Record<Verdict, Style> = {
  ok: "green",
  MISSING: "red",
  FAILED: "red",
  unknown: "yellow",
};

/**
 * Runs the check.
 *
 * @param command The parsed command line.
 * @param cli The process: streams, environment, Ctrl-C.
 * @returns The exit code: 0 when every required grant is there and the target resolves to at least one pod, 130 on
 *   Ctrl-C (143 on SIGTERM, 141 when the reader of its output goes away, 131 on Ctrl-\, 129 on SIGHUP), which
 *   stops it at once, else 1.
 *
 * @example
 * ```ts ignore
 * import { parseArgs } from "./args.ts";
 * import { runCheck } from "./check_command.ts";
 * import { cliProcess } from "../runtime/cli_process.ts";
 * const code = await runCheck(parseArgs(["check", "kubernetes:///echo.prod:grpc"]) as CheckCommand, cliProcess());
 * ```
 */
export async function runCheck(command: CheckCommand, cli: CliProcess): Promise<number> {
  // With --yaml, standard output is kubectl's: the YAML alone goes there, and the report to standard error, without
  // colours (standard error escapes control characters, as it quotes untrusted text).
  const report = command.yaml ? cli.stderr : cli.stdout;
  const colours = !command.yaml && colorsWanted(takesEscapes(report.isTTY, cli.env("TERM")), cli.env("NO_COLOR"));
  const paint = painter(colours);
  // On a terminal, text wraps at spaces (a step's detail under its column), which the terminal would break
  // mid-word; elsewhere each step and sentence stays one line, for grep. In the CLI's terms before it wraps: a line
  // that breaks before an option's name ("with" at its end) would keep `cluster.namespace` where --namespace belongs.
  // A kubectl command stays on one line, to be copied whole, where it fits in one (wider, it wraps, as in the table).
  const columns = report.size()?.columns;
  const wrapped = (text: string, indent = 0) =>
    columns === undefined ? [text] : wordWrap(inFlagTerms(text), columns - indent, { keepCommands: true });
  // Details and the closing line printable: pod, zone, node and hint names from EndpointSlices may hold control
  // characters. A detail with a word (a URL, a path, a pod's name, a command) too wide for its column goes below the
  // step, indented less: only a word wider than that is left for the terminal to break, and a command wider wraps.
  const say = (verdict: Verdict, step: string, detail: string) => {
    const head = `${paint(verdict.padEnd(8), VERDICT_STYLE[verdict])} ${step.padEnd(9)} `;
    const beside = wrapped(printable(detail), DETAIL_COLUMN);
    const room = columns === undefined ? Infinity : columns - DETAIL_COLUMN;
    const fits = room >= MIN_DETAIL_WIDTH && widestWord(inFlagTerms(printable(detail)), { keepCommands: true }) <= room;
    const below = fits ? [] : wrapped(printable(detail), BELOW_INDENT);
    report.write(
      fits
        ? `${head}${beside.join(`\n${" ".repeat(DETAIL_COLUMN)}`)}\n`
        : `${head.trimEnd()}\n${below.map((line) => `${" ".repeat(BELOW_INDENT)}${line}\n`).join("")}`,
    );
  };
  // The closing line, after a blank one; its first word coloured.
  const conclude = (head: "ok" | "FAILED", text: string) => {
    const lines = wrapped(`${head}: ${printable(text)}`);
    lines[0] = paint(head, VERDICT_STYLE[head]) + lines[0].slice(head.length);
    report.write(`\n${lines.join("\n")}\n`);
  };
  const startedAt = displayClock.now();
  const controller = new AbortController();
  const { signal } = controller;
  let interrupted: number | undefined;
  /** The step under way and what it waits for: where Ctrl-C or SIGTERM stopped the check, on standard error. */
  let step = `cluster step: ${READING_ACCESS}`;
  /** The failure of the last request while the target's first snapshot is awaited: what a stopped wait waited out. */
  let resolveFailure: string | undefined;
  const stopInterrupt = cli.onInterrupt((exitCode) => {
    const by = interrupted === undefined ? stoppedBy(exitCode, displayClock.now() - startedAt) : undefined;
    const failed = lastFailureText(resolveFailure);
    if (by !== undefined) cli.stderr.write(`kgr-resolver: ${by}, in the ${step}${failed}\n`);
    interrupted ??= exitCode;
    controller.abort();
  });
  // A timer, not AbortSignal.any() with AbortSignal.timeout(): on Node 20 the garbage collector can take the
  // timeout's signal, which then never fires.
  const startDeadline = () => setTimeout(() => controller.abort(), command.timeoutSeconds * 1000);
  let deadline = startDeadline();
  // The target on a line of its own when both do not fit: the terminal would break it.
  const [, targetLine] = wrapped(`Checking ${printable(command.input)}`);
  report.write(`Checking${targetLine === undefined ? " " : "\n"}${paint(command.input, "bold")}\n\n`);
  // --timeout does not count the time an exec plugin asks on the terminal: kubectl waits for the person who answers
  // it; it starts again once the plugin is done.
  const connecting = connectCluster(command.cluster, (use) => {
    if (use === "wrote") return;
    clearTimeout(deadline);
    if (use === "end" && !signal.aborted) deadline = startDeadline();
  });
  let connection: ClusterConnection;
  try {
    // Raced with the signal: a kubeconfig that never comes (a FIFO, a hung mount) must not outlast Ctrl-C, SIGTERM
    // or --timeout.
    connection = await settledOnAbort(connecting, signal);
  } catch (error) {
    clearTimeout(deadline);
    stopInterrupt();
    if (signal.aborted) await abandonConnect(connecting, cli, interrupted);
    if (interrupted !== undefined) return interrupted;
    const message = error instanceof ResolverError
      ? error.message
      : signal.aborted
      ? slowAccessAdvice(command.timeoutSeconds)
      : undefined;
    if (message === undefined) throw error;
    say("FAILED", "cluster", message);
    conclude("FAILED", "no cluster access; fix the step marked above");
    return 1;
  }
  const { access, client } = connection;
  const noAnswer = `no answer within ${command.timeoutSeconds} s: ${reachableAdvice(access)}`;
  const describe = (error: unknown) =>
    error instanceof ResolverError ? error.message : signal.aborted ? noAnswer : String(error);
  try {
    if (interrupted !== undefined) return interrupted;
    say("ok", "cluster", `${access.server} from ${access.source}`);
    let namespace: string;
    try {
      namespace = command.target.namespace ?? access.namespace;
    } catch (error) {
      // A context's namespace that cannot be used, for a target that names none.
      if (!(error instanceof ResolverError)) throw error;
      say("FAILED", "target", error.message);
      conclude("FAILED", "the target has no namespace to use; fix the step marked above");
      return 1;
    }
    const origin = command.target.namespace === undefined ? ` (${defaultNamespaceNote(access)})` : "";
    say("ok", "target", `service ${command.target.service} in namespace ${namespace}${origin}`);
    // The resolver answers any scheme; a channel only the one it was registered with: a near miss of kubernetes is a
    // doubt, as the CLI cannot know what its clients register; another scheme, chosen, gets a reminder.
    const scheme = schemeAdvice(command.input, command.target);
    const schemeNote = scheme ?? customSchemeNote(command.target);
    if (schemeNote !== undefined) say(scheme === undefined ? "ok" : "unknown", "scheme", schemeNote);
    // A proxy variable makes grpc-js skip the resolver for some targets: a doubt, as the clients' environment may differ.
    const proxy = grpcProxyAdvice(command.input, cli.env);
    if (proxy !== undefined) say("unknown", "proxy", proxy);

    let username: string | undefined;
    let credentialsObtained = false;
    // The server names the user acted as; the grants below are that user's.
    const sayUser = (name: string) => {
      const impersonated = access.impersonate === undefined ? "" : ` (impersonated: as in ${access.source})`;
      const foreign = foreignAccountNote(name, namespace);
      say("ok", "user", `${name}${impersonated}${foreign === undefined ? "" : ` (${foreign})`}`);
    };
    // A 403 to the review, asked once more after resolving: a restarting API server refuses every request until its
    // RBAC caches are filled, and resolving waits that out.
    let refusedReview: KubeApiError | undefined;
    try {
      // The credentials first: an exec plugin that hangs fails the user step, not the server's.
      step = `user step: waiting for credentials from ${access.source}`;
      await settledOnAbort(access.credentials.authorization(), signal);
      credentialsObtained = true;
      step = "user step: waiting for the API server to say who the credentials are";
      username = (await reviewSelf(access, client, signal)).username;
      sayUser(username);
    } catch (error) {
      // Ctrl-C stops at once, as it stops any Unix tool.
      if (interrupted !== undefined) return interrupted;
      // A failure no later step can pass: it is the only one shown.
      const stop = (step: string, detail: string, summary: string) => {
        say("FAILED", step, detail);
        conclude("FAILED", `${summary}; fix the step marked above`);
        return 1;
      };
      // Credentials that could not be obtained (an exec plugin that fails, or one still running at the
      // timeout): the server was never asked. Once they were, a ConfigError is the requests' own (undici not loaded).
      if (error instanceof ConfigError) {
        return credentialsObtained
          ? stop("server", error.message, "requests to the API server cannot be made")
          : stop("user", error.message, "the credentials could not be obtained");
      }
      if (!credentialsObtained && signal.aborted) {
        const detail = `no credentials within ${command.timeoutSeconds} s from ${access.source}: ` +
          slowCredentialsAdvice(access.credentials);
        return stop("user", detail, "the credentials could not be obtained");
      }
      // No HTTP answer: none in time, or no connection (refused, unreachable, a certificate not trusted).
      if (signal.aborted) return stop("server", describe(error), "no answer from the API server");
      if (error instanceof KubeApiError && error.status === undefined) {
        return stop("server", describe(error), "no connection to the API server");
      }
      // A web page in its place (a wrong port, a login page): every later request would get one too.
      if (error instanceof KubeApiError && error.contentType !== undefined) {
        return stop("server", error.message, "the server does not answer as a Kubernetes API server");
      }
      // Every later request would be refused too: by the API server (401), or by a proxy that wants a login (407).
      if (error instanceof KubeApiError && error.status === 401) {
        return stop("user", error.message, "the API server refuses these credentials");
      }
      if (error instanceof KubeApiError && error.status === 407) {
        return stop("server", error.message, "the proxy to the API server refuses its login");
      }
      // Every later request acts as that user too, and would get the same 403.
      if (error instanceof KubeApiError && error.status === 403 && error.message.includes(" may not impersonate ")) {
        return stop("user", error.message, "the API server refuses the impersonation");
      }
      if (error instanceof KubeApiError && error.status === 403) refusedReview = error;
      else say("unknown", "user", describe(error));
    }

    // Resolved before the grants are asked for: whether this target needs the Service depends on its slices.
    step = "resolve step: waiting for the target's first snapshot";
    const outcome = await resolveOnce(connection, command, {
      signal,
      onFailure: (failure) => {
        resolveFailure = failure?.message;
      },
    });
    resolveFailure = undefined;
    if (interrupted !== undefined) return interrupted;
    if (refusedReview !== undefined) {
      try {
        if (signal.aborted) throw refusedReview;
        step = "user step: waiting for the API server to say who the credentials are";
        username = (await reviewSelf(access, client, signal)).username;
        sayUser(username);
      } catch (error) {
        if (interrupted !== undefined) return interrupted;
        say("unknown", "user", describe(error));
      }
    }
    // A failure that resolving was waiting out when --timeout came (a 429 asking to wait): the server did answer.
    const late = outcome?.late
      ? new ResolverError(`not within ${command.timeoutSeconds} s: ${lateAnswerAdvice(outcome.late)}`)
      : undefined;
    const slow = outcome?.arriving ? new ResolverError(slowListAdvice(access, command.timeoutSeconds)) : undefined;
    const resolved = late ?? outcome?.failure ?? outcome?.view ?? slow ?? new ResolverError(noAnswer);
    const serviceRead = outcome?.view?.portError !== undefined || outcome?.view?.portFromService === true;
    const grants = neededGrants(command, namespace, declaredLocality(command.locality, cli.env), serviceRead);
    let missingRequired = 0;
    let missing = 0;
    // Denied, or not known to be granted (a review that failed): their roles are written.
    const notGranted = new Set<Grant>();
    // Resolving used up --timeout: every review would fail the same way, so none is asked.
    if (signal.aborted) {
      say(
        "unknown",
        "access",
        `not asked: ${late || slow ? `resolving used up --timeout (${command.timeoutSeconds} s)` : noAnswer}`,
      );
    }
    for (const grant of signal.aborted ? [] : grants) {
      for (const verb of grant.verbs) {
        const attributes: ResourceAttributes = { verb, group: grant.group, resource: grant.resource };
        if (grant.namespace !== undefined) attributes.namespace = grant.namespace;
        const what = `${grant.resource}${grant.group ? `.${grant.group}` : ""}` +
          (grant.namespace === undefined ? " (cluster-wide)" : ` in namespace ${grant.namespace}`);
        const need = grant.optional
          ? `optional: ${grant.optional}`
          : grant.required
          ? `required: ${grant.required}`
          : "required";
        step = `${verb} step: asking whether the credentials may ${verb} ${what}`;
        try {
          const { allowed } = await reviewAccess(access, client, attributes, signal);
          if (!allowed) {
            missing++;
            notGranted.add(grant);
            if (!grant.optional) missingRequired++;
          }
          say(allowed ? "ok" : "MISSING", verb, `${what} (${need})`);
        } catch (error) {
          if (interrupted !== undefined) return interrupted;
          notGranted.add(grant);
          say("unknown", verb, `${what} (${need}): ${describe(error)}`);
        }
      }
    }

    const noPod = !(resolved instanceof ResolverError) && resolved.snapshot!.endpoints.length === 0;
    // A namespace that does not exist has no slices (or, for a user granted per namespace, gets a 403), nor has one
    // being deleted once its objects went: the server says so only when asked for the Namespace, which few users
    // may read; one who may not is told nothing more.
    const forbidden = resolved instanceof KubeApiError && resolved.status === 403;
    step = `resolve step: asking the API server for namespace ${namespace}`;
    const namespaceState = (noPod || forbidden) && !signal.aborted
      ? await namespacePresence(access, client, namespace, signal)
      : undefined;
    const absent = namespaceState?.state === "missing";
    const terminating = namespaceState?.state === "terminating" ? namespaceState : undefined;
    // The slices cannot tell a Service that does not exist from an ExternalName one or one without a selector, nor
    // name the selector that matches no pod: the Service can, for a user who may read it (one who may not is told
    // what the slices tell).
    step = `resolve step: asking the API server for Service ${command.target.service}`;
    const serviceState = noPod && !absent && !terminating && !signal.aborted
      ? await servicePresence(access, client, namespace, command.target.service, signal)
      : undefined;
    if (interrupted !== undefined) return interrupted;
    const target = { service: command.target.service, namespace, port: command.target.port };
    const serviceSays = serviceState && !(resolved instanceof ResolverError)
      ? serviceReason(serviceState, target, (resolved.slices ?? 0) > 0)
      : undefined;
    if (terminating) {
      const since = terminating.since ? ` since ${terminating.since}` : "";
      const waiting = terminating.waitingOn.length > 0 ? `; it waits on: ${terminating.waitingOn.join("; ")}` : "";
      say(
        "FAILED",
        "resolve",
        `namespace ${namespace} is being deleted (Terminating${since}${waiting}): its Services, pods and ` +
          "RoleBindings go with it, and nothing can be created in it until it is gone (kubectl get namespace " +
          `${namespace} -o yaml shows what it waits on); calls resume once it is created again with them`,
      );
    } else if (absent) {
      say(
        "FAILED",
        "resolve",
        missingNamespaceReason(namespace, missingNamespaceFix(access, command.target.namespace !== undefined)),
      );
    } else if (resolved instanceof ResolverError) {
      // A 403's pointer to check is the report itself.
      say("FAILED", "resolve", resolved.message.replace(` (${CHECK_ADVICE})`, ""));
    } else if (noPod) {
      // Each pod's own reason, unless they all have the same one (a port name the slices lack).
      const reasons = new Set(resolved.pods!.map((pod) => pod.message));
      const pods = reasons.size > 1 ? ` (${podSummary(resolved.pods!)})` : "";
      say(
        "FAILED",
        "resolve",
        `no usable pod, so calls fail with UNAVAILABLE: ${serviceSays ?? `${resolved.snapshot!.emptyReason}${pods}`}`,
      );
    } else say("ok", "resolve", podSummary(resolved.pods!));
    // Pods may listen on a port the Service does not list: a doubt, not a failure.
    const portNote = resolved instanceof ResolverError ? undefined : resolved.snapshot!.portNote;
    if (portNote) say("unknown", "port", portNote);
    // Slices that outlived their Service's change to ExternalName resolve, where DNS and kube-proxy do not: a doubt.
    step = `service step: asking the API server for Service ${command.target.service}`;
    const presence = resolved instanceof ResolverError || noPod || signal.aborted
      ? undefined
      : await externalNamePresence(access, client, namespace, command.target.service, signal, resolved.serviceSpec);
    if (interrupted !== undefined) return interrupted;
    const external = presence && externalNameDoubt(presence, target);
    if (external) say("unknown", "service", external);
    // A client that says where it is asks whether calls stay near it: topology off is a doubt, not a failure.
    const topology = resolved instanceof ResolverError || noPod ? undefined : topologyStep(resolved);
    if (topology) say(topology.verdict, "topology", topology.detail);
    const doubts = [
      ...(scheme ? ["scheme"] : []),
      ...(proxy ? ["proxy"] : []),
      ...(portNote ? ["port"] : []),
      ...(external ? ["service"] : []),
      ...(topology?.verdict === "unknown" ? ["topology"] : []),
    ];

    if (missing > 0) {
      // Its comments within 80 cells, or the terminal's width when narrower: a wrapped comment is copied, from some
      // terminals, as a line without its '#'.
      // Without the yaml package (a project that lost it), our advice in place of the YAML: the steps stand.
      const width = Math.min(80, cli.stdout.size()?.columns ?? 80);
      step = "last step: writing the roles and bindings to apply";
      const toApply = grantsToApply(grants, notGranted);
      const yaml = await rbacYaml(toApply, subjectOf(username), { width }).then(
        (text) => ({ text, written: true }),
        (error: Error) => ({
          text: `${wrapped(`The YAML cannot be written: ${error.message}`).join("\n")}\n`,
          written: false,
        }),
      );
      if (interrupted !== undefined) return interrupted;
      if (!command.yaml) {
        const intro = `To grant what is missing, apply this as ${rbacApplier(toApply)} (with --yaml, check prints ` +
          "only the YAML, for kubectl apply -f -):";
        report.write(`\n${wrapped(intro).join("\n")}\n\n${yaml.text}`);
      } else if (yaml.written) cli.stdout.write(yaml.text);
      else report.write(`\n${yaml.text}`);
    }
    const failed = missingRequired > 0 || resolved instanceof ResolverError || noPod;
    if (!failed) {
      const steps = `${wordList(doubts)} ${doubts.length > 1 ? "steps" : "step"}`;
      conclude(
        "ok",
        `${command.input} resolves with these credentials${doubts.length > 0 ? `; see the ${steps} above` : ""}`,
      );
    } else if (absent) {
      conclude("FAILED", `${command.input}: namespace ${namespace} does not exist; see the resolve step above`);
    } else if (terminating) {
      conclude("FAILED", `${command.input}: namespace ${namespace} is being deleted; see the resolve step above`);
    } else if (noPod && missingRequired === 0) {
      conclude("FAILED", `${command.input} resolves to no usable pod; see the resolve step above`);
    } else if (!(resolved instanceof ResolverError) && !noPod) {
      // Listed, but a required grant is missing (watch, most often): the resolver's first answer is its last.
      conclude(
        "FAILED",
        `${command.input} resolves once, but these credentials lack a grant the resolver needs to follow it; ` +
          "fix the steps marked above",
      );
    } else {
      // Only a refusal blames the credentials: a wrong server URL or a missing API is fixed elsewhere.
      const refused = missingRequired > 0 ||
        (resolved instanceof KubeApiError && (resolved.status === 401 || resolved.status === 403));
      conclude(
        "FAILED",
        `${command.input} does not resolve${refused ? " with these credentials" : ""}; fix the steps marked above`,
      );
    }
    // An empty standard output makes `kubectl apply -f -` fail: the report's last line says why it is empty.
    if (command.yaml && missing === 0) report.write(`${wrapped(NOTHING_TO_APPLY).join("\n")}\n`);
    return failed ? 1 : 0;
  } finally {
    clearTimeout(deadline);
    stopInterrupt();
    client.close();
  }
}

/**
 * A note for a ServiceAccount of another namespace than the target's: a RoleBinding for it works, but a client meant
 * to run in the target's namespace may simply run as the wrong one.
 */
function foreignAccountNote(username: string, namespace: string): string | undefined {
  const subject = subjectOf(username);
  if (subject.kind !== "ServiceAccount" || subject.namespace === namespace) return undefined;
  return `a ServiceAccount of namespace ${subject.namespace}, not ${namespace}: if the client runs in ${namespace}, ` +
    "it may use the wrong identity; check its pod's serviceAccountName, or the kubeconfig's user";
}

/**
 * What the resolver needs for this target: list and watch on slices; get on services (its internalTrafficPolicy, and
 * the port of a target without one) and on nodes when it applies, services required when resolving the target read
 * the Service for its port (`serviceRead`).
 */
function neededGrants(
  command: CheckCommand,
  namespace: string,
  locality: { node?: string; zone?: string },
  serviceRead: boolean,
): Grant[] {
  const grants: Grant[] = [{
    verbs: ["list", "watch"],
    group: "discovery.k8s.io",
    resource: "endpointslices",
    namespace,
  }];
  const policy = "without it, a Service with internalTrafficPolicy: Local is used as Cluster (every pod)";
  grants.push({
    verbs: ["get"],
    group: "",
    resource: "services",
    namespace,
    ...(command.target.port !== undefined
      ? { optional: `reads the Service's internalTrafficPolicy; ${policy}` }
      : serviceRead
      ? { required: "its slices have several ports, and a target without a port uses the Service's first TCP port" }
      : {
        optional: "a target without a port reads the Service when its slices have several ports (or none yet, to " +
          `name the port in its metrics), and its internalTrafficPolicy; ${policy}`,
      }),
  });
  if (locality.node !== undefined && locality.zone === undefined) {
    grants.push({
      verbs: ["get"],
      group: "",
      resource: "nodes",
      optional: `reads the zone label of node ${locality.node} (the node is known, the zone is not); ` +
        "without it, topology-aware routing is off; running clients read the Node again within 5 minutes of the grant",
    });
  }
  return grants;
}

/**
 * Follows the target until its first snapshot, its first failure or the signal: the last view, and the failure if
 * one ended it; when the signal came first (at once if it already had), the failure of the last request, which the
 * watch was waiting out (`late`), else whether a LIST's answer was still arriving (`arriving`), else `undefined`.
 * `onFailure` is told the failure of the last request (`undefined` once one succeeds) as each view comes.
 */
async function resolveOnce(
  connection: ClusterConnection,
  command: CheckCommand,
  { signal, onFailure }: { signal: AbortSignal; onFailure: (failure: ResolverError | undefined) => void },
): Promise<
  | { view: ServiceView; failure?: ResolverError; late?: undefined; arriving?: undefined }
  | {
    late: ResolverError;
    view?: undefined;
    failure?: undefined;
    arriving?: undefined;
  }
  | { arriving: true; view?: undefined; failure?: undefined; late?: undefined }
  | undefined
> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  let result: { view: ServiceView; failure?: ResolverError } | undefined;
  let lastFailure: ResolverError | undefined;
  let arriving = false;
  try {
    await observeService(connection, command.target, {
      signal: controller.signal,
      locality: command.locality,
      subset: command.subset,
      protobuf: command.protobuf,
      // The report says it: MISSING for get on nodes, or the topology step's "node ... does not exist".
      zoneWarning: false,
      onView(view) {
        lastFailure = view.lastFailure;
        onFailure(lastFailure);
        // The LIST that the timeout ends publishes that it no longer arrives: what the timeout cut is kept.
        if (!controller.signal.aborted) arriving = view.listArriving === true;
        const failure = view.watch.state === "retrying" ? view.watch.error : view.portError;
        if (failure || view.snapshot) {
          result = failure ? { view, failure } : { view };
          controller.abort();
        }
      },
    });
  } finally {
    signal.removeEventListener("abort", stop);
  }
  return result ?? (lastFailure && { late: lastFailure }) ?? (arriving ? { arriving } : undefined);
}

/**
 * Whether topology-aware routing applies for a client whose zone or node is known, and why not; `undefined` for a
 * client that does not say where it is.
 */
function topologyStep(view: ServiceView): { verdict: Verdict; detail: string } | undefined {
  const client = clientWhereabouts(view.locality);
  if (client === undefined) return undefined;
  const mode = view.snapshot!.topology;
  if (mode !== "none") {
    const detail = `${mode}: calls go to the pods hinted for the client's ${mode}, the others only on failover`;
    // Which zone is short of ready pods, the client's or the one it fails over to.
    const unused = unusedByZone(view);
    return {
      verdict: "ok",
      detail: `${detail} (${client})${unused.length > 0 ? `; not used: ${unused.join(", ")}` : ""}`,
    };
  }
  const reason = topologyReason(view);
  return {
    verdict: "unknown",
    detail: `none, so calls go to the used pods in every zone${reason ? `: ${reason}` : ""} (${client})`,
  };
}
