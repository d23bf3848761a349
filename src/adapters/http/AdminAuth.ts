// The admin routes' bearer token: compared in constant time (digests of equal length, so neither
// the content nor the length of the token leaks through timing); never echoed or logged.
import { createHash, timingSafeEqual } from "node:crypto"
import type { MiddlewareHandler } from "hono"

const digest = (text: string) => createHash("sha256").update(text).digest()

export const sameSecret = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected))

/** Accepts `Authorization: Bearer <token>`; anything else is 401 with a challenge. */
export const bearer = (token: string): MiddlewareHandler => {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? ""
    const match = /^Bearer\s+(.+)$/i.exec(header.trim())
    if (match === null || !sameSecret(match[1] ?? "", token)) {
      return c.json({ error: "unauthorized: send Authorization: Bearer <ADMIN_TOKEN>" }, 401, { "www-authenticate": 'Bearer realm="crm-sync admin"' })
    }
    await next()
  }
}
