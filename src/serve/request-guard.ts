// Who may talk to the server, checked before any route runs (docs/http-api.md, "Security"):
// - Host must be one the server listens as (a DNS-rebinding page sends its own name);
// - Origin, when sent, must be the server's own, and a browser's `Sec-Fetch-Site: cross-site`
//   is refused (a page on another site must not drive the API with the user's cookie);
// - the access token: `Authorization: Bearer T`, or the cookie the start URL sets. `?token=T`
//   is accepted only on a page (non-API) GET, which answers with the cookie and a redirect to
//   the same URL without the token, so it leaves the address bar and history.
// Every response carries a strict Content-Security-Policy (no inline script, nothing from
// elsewhere) and no-sniff, no-referrer, no-framing headers.
import type { FastifyReply, FastifyRequest } from "fastify";
import { tokenMatches } from "./access-token.js";

export interface GuardConfig {
  readonly token: string;
  /** `host:port` values (lower case) the Host header may name. */
  readonly allowedHosts: ReadonlySet<string>;
  readonly scheme: "http" | "https";
  readonly cookieName: string;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const TOKEN_COOKIE_MAX_AGE_S = 12 * 3600;

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function bearer(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

function refuse(reply: FastifyReply, status: number, message: string, hint: string): void {
  void reply
    .code(status)
    .header("cache-control", "no-store")
    .send({ error: { status, kind: "refused", message, hint } });
}

/** The onRequest hook: sets the security headers, then refuses what the rules above forbid. */
export function requestGuard(config: () => GuardConfig) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const c = config();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    const host = (req.headers.host ?? "").toLowerCase();
    if (!c.allowedHosts.has(host)) {
      return refuse(
        reply,
        403,
        "this Host is not served here",
        "open the URL `breakglass serve` printed (requests naming another host are refused)",
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `${c.scheme}://${host}`) {
      return refuse(
        reply,
        403,
        "cross-origin requests are refused",
        "use the page this server serves",
      );
    }
    if (req.headers["sec-fetch-site"] === "cross-site") {
      return refuse(
        reply,
        403,
        "cross-site requests are refused",
        "use the page this server serves",
      );
    }
    const url = new URL(req.url, `${c.scheme}://${host}`);
    const isApi = url.pathname.startsWith("/api/");
    const fromUrl = url.searchParams.get("token");
    if (fromUrl !== null && !isApi && req.method === "GET") {
      if (!tokenMatches(c.token, fromUrl)) {
        return refuse(reply, 401, "wrong access token", "open the URL `breakglass serve` printed");
      }
      url.searchParams.delete("token");
      const secure = c.scheme === "https" ? "; Secure" : "";
      void reply
        .code(303)
        .header(
          "set-cookie",
          `${c.cookieName}=${fromUrl}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${TOKEN_COOKIE_MAX_AGE_S}${secure}`,
        )
        .header("cache-control", "no-store")
        // One leading slash: `//evil.example/` would send the browser to another host.
        .header("location", "/" + url.pathname.replace(/^\/+/, "") + url.search)
        .send();
      return;
    }
    const presented =
      bearer(req.headers.authorization) ?? cookieValue(req.headers.cookie, c.cookieName);
    if (!tokenMatches(c.token, presented)) {
      return refuse(
        reply,
        401,
        presented === undefined ? "an access token is required" : "wrong access token",
        "open the URL `breakglass serve` printed, or send `Authorization: Bearer TOKEN`",
      );
    }
  };
}
