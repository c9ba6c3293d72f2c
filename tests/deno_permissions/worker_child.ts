// Runs watch_worker.ts in a Web Worker with the permissions given as JSON in the second argument (the process has
// them all) and prints the first line it posts; the first argument is the kubeconfig (JSON) or its file's path.
const [kubeconfig, permissions] = Deno.args;
const worker = new Worker(new URL("./watch_worker.ts", import.meta.url), {
  type: "module",
  deno: { permissions: JSON.parse(permissions) },
} as WorkerOptions);
const line = await new Promise<string>((resolve) => {
  worker.onmessage = (event: MessageEvent<string>) => resolve(event.data);
  worker.postMessage(kubeconfig.startsWith("{") ? JSON.parse(kubeconfig) : kubeconfig);
});
worker.terminate();
console.log(line);
