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
 * holds a secret word (`token=x`, `AWS_SECRET_ACCESS_KEY=x`, `"access_token":"x"`, `clientSecret: x`, a YAML block
 * `token: |`, an `Authorization: Token x` header's credential, a flag's `--password x`, curl's `-u user:x`) unless it
 * says where one is kept (`token_file=/path`) or is a word of an error chain (`get-token: authentication error`), a
 * secret said in words unless it reads as a word (`the password is x`,
 * not `the token is expired`), and long runs of base64 or hex.
 */
export function maskCredentials(text: string): string {
  const named = maskSecretValues(
    text
      // A PEM block whole, or to the end when the excerpt cuts it.
      .replace(/-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)/g, "[redacted]")
      // A JWT; its parts also with base64's padding and alphabet, as some issuers write them.
      .replace(/\beyJ[\w+/-]*=*\.[\w+/-]*=*\.[\w+/-]*=*/g, "[redacted]")
      .replace(/\b(bearer|basic)\s+[^\s"',;]+/gi, "$1 [redacted]")
      // A secret-named flag's value after a space, as a script run with `set -x` echoes its command
      // (`+ tool --password hunter2x`, `--client-secret 'p@ss w'`), unless it says where one is kept (`--key-file /p`)
      // or an error speaks of the flag (`--token is required`).
      .replace(
        SECRET_FLAG,
        (all, flag: string, name: string, quote?: string, quoted?: string, bare?: string) =>
          !isSecretName(name) || namesPlace(name, quoted ?? bare!) || /^(?:is|was|must|not|and|or)$/i.test(bare ?? "")
            ? all
            : `${flag}${quote ?? ""}[redacted]${quote ?? ""}`,
      )
      // curl's `-u user:password` (`--user`), as a script run with `set -x` echoes it: the password.
      .replace(
        /(?<![^\s"'])(--?u(?:ser)?[ \t=]+)(?:(["'])([^"'\n:]*:)[^"'\n]*\2|([^\s"':]*:)[^\s"']+)/g,
        (_, flag: string, quote?: string, quotedUser?: string, user?: string) =>
          quote ? `${flag}${quote}${quotedUser}[redacted]${quote}` : `${flag}${user}[redacted]`,
      )
      // A secret said in words (`the password is hunter2`), unless it reads as one (`the token is expired`).
      .replace(SECRET_IN_WORDS, (all, said: string, quote?: string, _quoted?: string, bare?: string) => {
        if (quote !== undefined) return `${said}${quote}[redacted]${quote}`;
        // Split by hand: a lazy pattern tried at each character of a long run of them took 5 s for 64 KiB.
        let end = bare!.length;
        while (end > 0 && ".:!?)".includes(bare![end - 1])) end--;
        const [word, punctuation] = [bare!.slice(0, end), bare!.slice(end)];
        return /^[A-Za-z]+(?:-[A-Za-z]+)*$/.test(word) ? all : `${said}[redacted]${punctuation}`;
      })
      // A URL's password: a proxy or token endpoint with its credentials (`https://user:x@host`).
      .replace(/\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/?#@:]*:)[^\s/?#@]+@/gi, "$1[redacted]@"),
  );
  return named
    // base64 (an AWS secret key, a PEM line), base64url or a JWT's parts: `/`, `.` and `=` split no run here. Left: a
    // run without a digit, a path (it starts with `/` or `.`), and a host name (`/` or `.` but not both cases). First:
    // masked after the long runs below, a secret's run was cut at them into parts, its last quoted as a path. A flag's
    // or a pair's name before an `=` (`--tenant-id=`, `role_id=`) stays readable, as base64 has `=` only at its end.
    .replace(
      /[A-Za-z0-9+/=._-]{24,}/g,
      (run) =>
        !/\d/.test(run) || /^[./]/.test(run) || (/[./]/.test(run) && !(/[A-Z]/.test(run) && /[a-z]/.test(run)))
          ? run
          : `${/^-*[A-Za-z][A-Za-z_.-]*=(?=[^=])/.exec(run)?.[0] ?? ""}[redacted]`,
    )
    .replace(/[A-Za-z0-9+_-]{32,}={0,2}/g, "[redacted]");
}

/**
 * A flag, its name (2) and the value that follows after a space: in quotes (3, 4) or a word that starts with no `-`
 * (5). The flag starts a word.
 */
const SECRET_FLAG = /(?<![^\s"'(\[])(--?([A-Za-z][\w.-]*)[ \t]+)(?:(["'])([^"'\n]*)\3|([^\s"'-][^\s"',;]*))/g;

/**
 * A name of a secret, `is` or `was`, and what follows: in quotes (2, 3) or a word (4), whose trailing punctuation
 * is not the secret's.
 */
const SECRET_IN_WORDS =
  /(\b(?:password|passwd|passphrase|secret|token|api[ _-]?key)\s+(?:is|was)\s+)(?:(["'])([^"'\n]*)\2|([^\s"',;]+))/gi;

/**
 * `text` with the value of each name that holds a secret word masked: `token=x`, `"access_token": "x"`, the JSON
 * that a log line quotes (`\"password\":\"x\"`); not of one that says where a secret is kept (`token_file=/path`).
 * A value in quotes is masked to its closing quote, spaces and commas included (`password: "correct horse"`). A pair
 * whose name holds none is passed name first, so that its value can be the next pair's name (`failed: api_key=x`).
 */
function maskSecretValues(text: string): string {
  // A name, in quotes or JSON-escaped quotes or none, then `=` or `:`, then the quote that opens its value, if any.
  // At most 256 characters: a match may start after each `-` or `.`, and an unbounded name would scan each time to
  // the end of a line of words joined by them (7 s for 64 KiB of `-a`; under 0.1 s now).
  const pair = /(?<!\w)((?:\\?["'])?)([A-Za-z][\w.-]{0,255})\1\s*[=:]\s*((?:\\?["'])?)/g;
  const endsPath = pathEnds(text);
  let masked = "";
  let done = 0;
  for (let match = pair.exec(text); match !== null; match = pair.exec(text)) {
    const [whole, , name, quote] = match;
    const start = match.index + whole.length;
    // The value is read only for a secret's name: read for every name, a line of pairs (`a:a:a:…`) would be read to
    // its end once per name. A file's name is none (`get-token.sh: command not found`).
    const value = isSecretName(name) && !FILE_NAME.test(name) ? valueAt(text, start, quote) : "";
    if (value === "" || endsPath(match.index)) {
      pair.lastIndex = start;
      continue;
    }
    // A path is not read for pairs: `--client-key=/etc/key.pem: no such file` holds no secret named `key.pem`.
    // Nor is a word that an error's own words follow (`get-token: authentication error`).
    if (namesPlace(name, value) || chainedError(text, whole, name, quote, start + value.length, value)) {
      pair.lastIndex = start + value.length;
      continue;
    }
    const [from, to] = secretSpan(text, match.index, name, quote, start, value);
    if (from === to) {
      pair.lastIndex = start;
      continue;
    }
    masked += text.slice(done, from) + "[redacted]";
    done = pair.lastIndex = to;
  }
  return masked + text.slice(done);
}

/**
 * Whether a name ends a file's path (`open /home/a/client.key: no such file` names a file, and its error is no key):
 * it follows a `/`, `.` or `\\`, in a word that starts as a path ({@linkcode FILE_PATH}). A name after a `/` in a word
 * that does not (`secret/token: x`, `env/client_secret=x`) is a pair's. Asked of names in the order of the text: the
 * start of the word is found by scanning each character once, as a 64 KiB excerpt may hold thousands of names.
 */
function pathEnds(text: string): (at: number) => boolean {
  let wordFrom = 0;
  let scanned = 0;
  return (at) => {
    for (; scanned < at; scanned++) if (/[\s"'(=,]/.test(text[scanned])) wordFrom = scanned + 1;
    return /[./\\]/.test(text[at - 1] ?? "") && FILE_PATH.test(text.slice(wordFrom, Math.min(at, wordFrom + 3)));
  };
}

/**
 * Whether a pair is a step of an error chain, as Go programs write theirs (`op: cause: cause`), not a secret: a name
 * whose last word is `token` or `tokens`, `:` and a space, then one word of letters, perhaps with a colon or a full
 * stop after it, or a second `:` (gke-gcloud-auth-plugin's `access token:: failure`), that a word in lower case follows
 * (`auth tokens: Reauthentication failed`, `get-token: authentication error`, `could not get token:
 * NoCredentialProviders: no valid providers`). Every other secret's value stays masked, as people choose passwords,
 * passphrases, client secrets and keys of letters (`passphrase: correct-horse-battery-staple was rejected`), and so
 * does a value alone, with a digit, a sign or a hyphen, in quotes, or after `=`.
 */
function chainedError(text: string, pair: string, name: string, quote: string, end: number, value: string): boolean {
  const word = /:[ \t]+$/.test(pair) && /^[A-Za-z]+[.:]?$/.test(value);
  return quote === "" && /^tokens?$/i.test(nameWords(name).at(-1)!) &&
    (word || (pair.endsWith(":") && value === ":")) &&
    /^[ \t]+[a-z]/.test(text.slice(end, end + 2));
}

/**
 * Where the secret of a secret-named pair lies, as `[from, to)`: its value; an `Authorization` header's credential
 * after its scheme, which stays readable (`Authorization: Token [redacted]`, any scheme); a `Cookie` or `Set-Cookie`
 * header's line, as each of its pairs may be a session (`Cookie: session=x; csrftoken=y`); the lines of a YAML block
 * scalar (`token: |` and the more indented lines after it); none for a token type (`token_type: Bearer`).
 */
function secretSpan(
  text: string,
  nameAt: number,
  name: string,
  quote: string,
  start: number,
  value: string,
): [number, number] {
  const end = start + value.length;
  if (quote === "" && BLOCK_INDICATOR.test(value)) return blockScalar(text, nameAt, end) ?? [start, end];
  if (quote === "" && /authorization$/i.test(name) && /^[A-Za-z][\w.+-]*$/.test(value)) {
    const credential = /[ \t]+([^\s"',;]+)/y;
    credential.lastIndex = end;
    const found = credential.exec(text);
    if (found) return [credential.lastIndex - found[1].length, credential.lastIndex];
  }
  if (quote === "" && /cookie$/i.test(name) && !value.startsWith("[")) {
    const cookies = /[^\n\r"']*/y;
    cookies.lastIndex = start;
    return [start, start + cookies.exec(text)![0].trimEnd().length];
  }
  return /^(bearer|basic)$/i.test(value) ? [start, start] : [start, end];
}

/** A YAML block scalar's indicator (`|`, `>-`, `|2+`): its value is on the lines after it. */
const BLOCK_INDICATOR = /^[|>][1-9+-]{0,2}$/;

/**
 * The lines of a YAML block scalar whose indicator ends at `from`, as `[from, to)` from its first character to its
 * last: those after it that are more indented than the line of its name (`nameAt`), blank ones within. `undefined`
 * when more than a comment follows the indicator on its line, or no line does.
 */
function blockScalar(text: string, nameAt: number, from: number): [number, number] | undefined {
  const lineStart = text.lastIndexOf("\n", nameAt - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, nameAt))![0].length;
  const lineAfter = (at: number) => {
    const end = text.indexOf("\n", at);
    return end === -1 ? text.length : end;
  };
  let at = lineAfter(from);
  if (!/^[ \t]*(?:#.*)?\r?$/.test(text.slice(from, at))) return undefined;
  let first: number | undefined;
  let last = at;
  while (at < text.length) {
    const line = text.slice(at + 1, lineAfter(at + 1));
    const lineIndent = /^[ \t]*/.exec(line)![0].length;
    if (line.trim() !== "") {
      if (lineIndent <= indent) break;
      first ??= at + 1 + lineIndent;
      last = at + 1 + line.trimEnd().length;
    }
    at += 1 + line.length;
  }
  return first === undefined ? undefined : [first, last];
}

/**
 * How a value goes on after the quote that opens it: to its closing quote (a JSON string's escapes skipped) or the
 * end of the line. Without a quote, up to a space, a quote, a comma or a closing brace, and none that starts with a
 * brace or a bracket (an object or a list); but Go's `%v` of a list of words, as of an `http.Header`
 * (`map[X-Api-Key:[k9] Authorization:[Token x]]`), in its brackets.
 */
const VALUE: Record<string, RegExp> = {
  '"': /(?:[^"\\\n]|\\.)*/y,
  "'": /[^'\n]*/y,
  '\\"': /(?:(?!\\")[^\n])*/y,
  "\\'": /(?:(?!\\')[^\n])*/y,
  "": /(?:\[[^\s"',{}[\]][^\n"',{}[\]]*\]|[^\s"',{}[\]][^\s"',}]*)?/y,
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
 * that names where a secret is kept (`--token-cache-dir`, `--key-file`, `--client-key /etc/tls/client.key`) takes no
 * secret: its value, a path a plugin's error often names, stays readable.
 */
export function secretArguments(args: string[]): string[] {
  const values: string[] = [];
  args.forEach((arg, index) => {
    const flag = /^--?([A-Za-z][\w.-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!flag || !isSecretName(flag[1])) return;
    const value = flag[2] ?? args[index + 1];
    if (value !== undefined && !value.startsWith("-") && !namesPlace(flag[1], value)) values.push(value);
  });
  return values;
}

/**
 * Whether a name's value is where a secret is kept, not the secret: the name ends in a word that says so
 * (`token-cache-dir`, `tokenFile`), in `pwd` and the value is a path (the shell's `PWD`), or in `key` and the value
 * is a path (`--client-key /etc/tls/client.key`, `ssh_key: ~/.ssh/id_ed25519`). "Key" names both a secret and the
 * file that holds it: kubectl's `--client-key` takes a path, and `kubectl config view` prints a `client-key` path
 * where it redacts `client-key-data`. A key's value that is not a path stays masked (`--api-key k9`, `--key=k9`), as
 * does a base64 one that starts with `/`.
 */
function namesPlace(name: string, value: string): boolean {
  const last = nameWords(name).at(-1)!;
  return /^(dir|directory|file|path)$/i.test(last) ||
    (/^key$/i.test(last) && FILE_PATH.test(value) && !BASE64_SECRET.test(value)) ||
    // The shell's working directory (`PWD=/home/alice`), not MySQL's password.
    (/^pwd$/i.test(last) && FILE_PATH.test(value));
}

/**
 * A file's name, by its extension: a script, a program or a file of data (`get-token.sh`, `token.json`), which a shell
 * or a plugin puts before its error (`get-token.sh: command not found`), not a dotted name of a setting that may hold
 * a secret (`auth.token`, `tls.key`).
 */
const FILE_NAME = /\.(?:sh|bash|zsh|py|js|mjs|cjs|ts|rb|pl|php|exe|ps1|cmd|bat|txt|json|ya?ml|pem|crt|cer|log)$/i;

/** The start of a file's path: `/`, `~/`, `./`, `../`, or a Windows drive (`C:\`, `C:/`). */
const FILE_PATH = /^(?:~?\/|\.\.?\/|[A-Za-z]:[\\/])/;

/**
 * A base64 secret that starts with `/` (one AWS secret access key in 64 does), not a path: only base64's alphabet,
 * 20 characters or more, both cases and a digit or `+` (`/wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`).
 */
const BASE64_SECRET = /^(?=.*[A-Z])(?=.*[a-z])(?=.*[\d+])[A-Za-z0-9+/]{20,}={0,2}$/;

/**
 * Whether a name (`access_token`, `AWS_SECRET_ACCESS_KEY`, `clientSecret`, `X-Api-Key`) holds a word that names a
 * secret, a password run into another word (`PGPASSWORD`), or is a password's short word (`DB_PASS`, `MYSQL_PWD`).
 */
export function isSecretName(name: string): boolean {
  return nameWords(name).some((word) =>
    (/^(token|password|passwd|passphrase|secret|key|apikey|credential|auth|bearer|private|cookie)/i.test(word) ||
      /pass(word|wd)/i.test(word) || /^(pass|pwd)$/i.test(word)) &&
    !/^author(ity)?$/i.test(word)
  );
}

/** The words of a name: a word starts after a non-letter, `_` or a lower-case letter or digit followed by a capital. */
function nameWords(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[^A-Za-z0-9]+/);
}
