// A fake OpenTelemetry MeterProvider for the metrics tests: it records what the resolver adds to counters and
// lets a test read its gauges.

/** The attributes of a series. */
export type Attributes = Record<string, unknown>;

/**
 * Registers a MeterProvider in OpenTelemetry's global registry, as `@opentelemetry/api` 1.x does, that records
 * what the resolver adds to counters and lets a test read its gauges; `remove()` unregisters it.
 */
export function installFakeMeter() {
  const registry = Symbol.for("opentelemetry.js.api.1");
  const global = globalThis as Record<symbol, unknown>;
  type Callback = (result: { observe(value: number, attributes?: Attributes): void }) => void;
  // Every callback of a name, as the SDK keeps them: two copies of the package may each add one.
  const callbacks = new Map<string, Callback[]>();
  const added: { name: string; attributes?: Attributes }[] = [];
  const meter = {
    createCounter: (name: string) => ({
      add: (_: number, attributes?: Attributes) => added.push({ name, attributes }),
    }),
    createObservableGauge: (name: string) => ({
      addCallback: (callback: Callback) => callbacks.set(name, [...callbacks.get(name) ?? [], callback]),
    }),
  };
  global[registry] = { version: "1.9.0", metrics: { getMeter: () => meter } };
  return {
    added,
    /** The values a gauge reports now, with their attributes: of a series observed twice, the last value. */
    observe(name: string) {
      const observed = new Map<string, { value: number; attributes?: Attributes }>();
      const result = {
        observe: (value: number, attributes?: Attributes) => {
          observed.set(JSON.stringify(attributes), { value, attributes });
        },
      };
      for (const callback of callbacks.get(name)!) callback(result);
      return [...observed.values()];
    },
    remove: () => void delete global[registry],
  };
}
