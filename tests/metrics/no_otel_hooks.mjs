// Module hooks for tests/metrics/no_otel_child.mjs: fail any attempt to load @opentelemetry.
export function resolve(specifier, context, next) {
  if (specifier.includes("@opentelemetry")) throw new Error(`@opentelemetry was loaded: ${specifier}`);
  return next(specifier, context);
}
