// The admin routes' bearer token: compared in constant time (digests of equal length, so neither
// the content nor the length of the token leaks through timing); never echoed or logged.
import { createHash, timingSafeEqual } from "node:crypto"
import type { MiddlewareHandler } from "hono"

const digest = (text: string) => createHash("sha256").update(text).digest()

export const sameSecret = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected))

/** The admin page's session cookie: the token itself, HttpOnly and SameSite=Strict. */
export const adminCookie = "crm_sync_admin"

/**
 * Accepts `Authorization: Bearer <token>`; anything else is 401 with a challenge. The admin page
 * (/admin/ui) checks its own cookie and sends a browser to its sign-in form instead.
 */
export const bearer = (token: string): MiddlewareHandler => {
  return async (c, next) => {
    if (c.req.path === "/admin/ui" || c.req.path.startsWith("/admin/ui/")) return next()
    const header = c.req.header("authorization") ?? ""
    const match = /^Bearer\s+(.+)$/i.exec(header.trim())
    if (match === null || !sameSecret(match[1] ?? "", token)) {
      return c.json({ error: "unauthorized: send Authorization: Bearer <ADMIN_TOKEN>" }, 401, { "www-authenticate": 'Bearer realm="crm-sync admin"' })
    }
    await next()
  }
}
