/**
 * `scheme://host:port/path` of a connection URL — no user, no password, no query — for startup
 * lines and errors that must name a server without leaking its credentials.
 */
export function describeUrl(url: string): string {
  try {
    const { protocol, host, pathname } = new URL(url);
    return `${protocol}//${host}${pathname === "/" ? "" : pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}
