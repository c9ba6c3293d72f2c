/**
 * What to do about a proxy that asks for a login, for the API errors.
 *
 * @module
 */

/** What to do about a proxy's 407 or a SOCKS5 proxy's login refusal: give it a login in its URL, or fix the one there. */
export function proxyLoginAdvice(proxyUrl: string, why: "407" | "SOCKS5"): string {
  let login = false;
  let scheme = "http:";
  try {
    const url = new URL(proxyUrl);
    login = url.username !== "" || url.password !== "";
    scheme = url.protocol;
  } catch {
    // Checked when the cluster was loaded.
  }
  return login
    ? `the proxy refused the user name and password in its URL (${why}): fix them there`
    : `the proxy asks for a login (${why}): put the user name and password in its URL ` +
      `(${scheme}//user:password@host:port)`;
}
