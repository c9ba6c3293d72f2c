/**
 * What looks like a credential in an exec plugin's words, masked before they are quoted: patterns of secrets (PEM
 * blocks, JWTs, `Bearer x`, base64 runs), the values of names that hold a secret word, and the values of the
 * plugin's secret-named arguments. Private to `cluster/`.
 *
 * @module
 */

/**
 * A plugin's words with what looks like a credential masked (a verbose or debugging plugin may print the one it
 * refreshed): PEM blocks, JWTs, `Bearer x`, the password in a URL (`https://user:x@host`), the value of a name that
 * holds a secret word (`token=x`, `AWS_SECRET_ACCESS_KEY=x`, `"access_token":"x"`, `clientSecret: x`) unless it says
 * where one is kept (`token_file=/path`), and long runs of base64 or hex.
 */
export function maskCredentials(text: string): string {
  const named = maskSecretValues(
    text
      // A PEM block whole, or to the end when the excerpt cuts it.
      .replace(/-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)/g, "[redacted]")
      // A JWT; its parts also with base64's padding and alphabet, as some issuers write them.
      .replace(/\beyJ[\w+/-]*=*\.[\w+/-]*=*\.[\w+/-]*=*/g, "[redacted]")
      .replace(/\b(bearer|basic)\s+[^\s"',;]+/gi, "$1 [redacted]")
      // A URL's password: a proxy or token endpoint with its credentials (`https://user:x@host`).
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)[^\s/?#@]+@/gi, "$1[redacted]@"),
  );
  return named
    .replace(/[A-Za-z0-9+_-]{32,}={0,2}/g, "[redacted]")
    // base64 (an AWS secret key, a PEM line), base64url or a JWT's parts: `/`, `.` and `=` split no run here. Left: a
    // run without a digit, a path (it starts with `/` or `.`), and a host name (`/` or `.` but not both cases).
    .replace(
      /[A-Za-z0-9+/=._-]{24,}/g,
      (run) =>
        !/\d/.test(run) || /^[./]/.test(run) || (/[./]/.test(run) && !(/[A-Z]/.test(run) && /[a-z]/.test(run)))
          ? run
          : "[redacted]",
    );
}

/**
 * `text` with the value of each name that holds a secret word masked: `token=x`, `"access_token": "x"`, the JSON
 * that a log line quotes (`\"password\":\"x\"`); not of one that says where a secret is kept (`token_file=/path`).
 * A value in quotes is masked to its closing quote, spaces and commas included (`password: "correct horse"`). A pair
 * whose name holds none is passed name first, so that its value can be the next pair's name (`failed: api_key=x`).
 */
function maskSecretValues(text: string): string {
  // A name, in quotes or JSON-escaped quotes or none, then `=` or `:`, then the quote that opens its value, if any.
  const pair = /((?:\\?["'])?)([A-Za-z][\w.-]*)\1\s*[=:]\s*((?:\\?["'])?)/g;
  let masked = "";
  let done = 0;
  for (let match = pair.exec(text); match !== null; match = pair.exec(text)) {
    const [whole, , name, quote] = match;
    const start = match.index + whole.length;
    const value = valueAt(text, start, quote);
    if (value === "" || !isSecretName(name) || namesPlace(name) || /^(bearer|basic)$/i.test(value)) {
      pair.lastIndex = start;
      continue;
    }
    masked += text.slice(done, start) + "[redacted]";
    done = pair.lastIndex = start + value.length;
  }
  return masked + text.slice(done);
}

/**
 * How a value goes on after the quote that opens it: to its closing quote (a JSON string's escapes skipped) or the
 * end of the line. Without a quote, up to a space, a quote, a comma or a closing brace, and none that starts with a
 * brace or a bracket (an object or a list).
 */
const VALUE: Record<string, RegExp> = {
  '"': /(?:[^"\\\n]|\\.)*/y,
  "'": /[^'\n]*/y,
  '\\"': /(?:(?!\\")[^\n])*/y,
  "\\'": /(?:(?!\\')[^\n])*/y,
  "": /(?:[^\s"',{}[\]][^\s"',}]*)?/y,
};

/** The value that starts at `start`, after the opening `quote` (`""` for none): see {@linkcode VALUE}. */
function valueAt(text: string, start: number, quote: string): string {
  const shape = VALUE[quote];
  shape.lastIndex = start;
  return shape.exec(text)![0];
}

/**
 * The values of a plugin's arguments that a secret-named flag takes (`--client-secret VALUE`,
 * `--oidc-client-secret=VALUE`): a plugin that fails may echo them, in words no pattern tells from others. A flag
 * that names where a secret is kept (`--token-cache-dir`, `--key-file`) takes no secret: its value, a path a
 * plugin's error often names, stays readable.
 */
export function secretArguments(args: string[]): string[] {
  const values: string[] = [];
  args.forEach((arg, index) => {
    const flag = /^--?([A-Za-z][\w.-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!flag || !isSecretName(flag[1]) || namesPlace(flag[1])) return;
    const value = flag[2] ?? args[index + 1];
    if (value !== undefined && !value.startsWith("-")) values.push(value);
  });
  return values;
}

/**
 * Whether a flag's name ends in a word that makes its value where a secret is kept, not the secret
 * (`token-cache-dir`, `tokenFile`); words split as {@linkcode isSecretName} splits them.
 */
function namesPlace(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[^A-Za-z0-9]+/);
  return /^(dir|directory|file|path)$/i.test(words[words.length - 1]);
}

/**
 * Whether a name (`access_token`, `AWS_SECRET_ACCESS_KEY`, `clientSecret`, `X-Api-Key`) holds a word that names a
 * secret: a word starts after a non-letter, `_` or a lower-case letter followed by a capital.
 */
function isSecretName(name: string): boolean {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[^A-Za-z0-9]+/).some((word) =>
    /^(token|password|passwd|passphrase|secret|key|apikey|credential|auth|bearer|private|cookie)/i.test(word) &&
    !/^author(ity)?$/i.test(word)
  );
}
