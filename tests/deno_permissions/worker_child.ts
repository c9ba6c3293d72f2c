// Runs watch_worker.ts (or the worker the third argument names) in a Web Worker with the permissions given as JSON
// in the second argument (the process has them all) and prints the first line it posts; the first argument is the
// kubeconfig (JSON) or its file's path.
const [kubeconfig, permissions, module = "watch_worker.ts"] = Deno.args;
const worker = new Worker(new URL(`./${module}`, import.meta.url), {
  type: "module",
  deno: { permissions: JSON.parse(permissions) },
} as WorkerOptions);
const line = await new Promise<string>((resolve) => {
  worker.onmessage = (event: MessageEvent<string>) => resolve(event.data);
  worker.postMessage(kubeconfig.startsWith("{") ? JSON.parse(kubeconfig) : kubeconfig);
});
worker.terminate();
console.log(line);
