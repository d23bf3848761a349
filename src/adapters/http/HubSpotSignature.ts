// Verifies HubSpot's webhook signatures. The SDK's Signature.isValid compares with === and does
// not bound the timestamp, so this is written out with timingSafeEqual.
import { createHash, createHmac, timingSafeEqual } from "node:crypto"

export type SignatureVersion = "v1" | "v2" | "v3"

export interface SignedRequest {
  readonly method: string
  /** The full URL HubSpot called: behind a proxy, the configured public URL. */
  readonly uri: string
  readonly body: string
  readonly header: (name: string) => string | undefined
}

export interface VerifyOptions {
  readonly clientSecret: string
  readonly now: number
  /** v3 always; v1/v2 only when listed (older app set-ups still send them). */
  readonly legacyVersions: ReadonlyArray<"v1" | "v2">
  readonly maxAgeMs?: number
}

export type Verdict = { readonly ok: true; readonly version: SignatureVersion } | { readonly ok: false; readonly reason: string }

const FIVE_MINUTES = 5 * 60 * 1000

const sameBytes = (a: Buffer, b: Buffer): boolean => a.length === b.length && timingSafeEqual(a, b)

const verifyV3 = (request: SignedRequest, options: VerifyOptions, signature: string): Verdict => {
  const timestamp = Number(request.header("x-hubspot-request-timestamp"))
  if (!Number.isFinite(timestamp)) return { ok: false, reason: "missing or malformed X-HubSpot-Request-Timestamp" }
  if (Math.abs(options.now - timestamp) > (options.maxAgeMs ?? FIVE_MINUTES)) return { ok: false, reason: "stale timestamp" }
  const expected = createHmac("sha256", options.clientSecret).update(`${request.method}${request.uri}${request.body}${timestamp}`, "utf8").digest()
  return sameBytes(Buffer.from(signature, "base64"), expected) ? { ok: true, version: "v3" } : { ok: false, reason: "signature mismatch" }
}

const verifyLegacy = (request: SignedRequest, options: VerifyOptions, version: "v1" | "v2", signature: string): Verdict => {
  const source = version === "v1" ? `${options.clientSecret}${request.body}` : `${options.clientSecret}${request.method}${request.uri}${request.body}`
  const expected = createHash("sha256").update(source, "utf8").digest()
  return sameBytes(Buffer.from(signature, "hex"), expected) ? { ok: true, version } : { ok: false, reason: "signature mismatch" }
}

/** HubSpot signs the URI with these escapes decoded (its v3 validation guide lists exactly these). */
const SIGNED_DECODINGS: ReadonlyArray<readonly [RegExp, string]> = [
  [/%3A/gi, ":"],
  [/%2F/gi, "/"],
  [/%3F/gi, "?"],
  [/%40/gi, "@"],
  [/%21/gi, "!"],
  [/%24/gi, "$"],
  [/%27/gi, "'"],
  [/%28/gi, "("],
  [/%29/gi, ")"],
  [/%2A/gi, "*"],
  [/%2C/gi, ","],
  [/%3B/gi, ";"]
]
export const decodeSignedUri = (uri: string): string => SIGNED_DECODINGS.reduce((text, [pattern, char]) => text.replace(pattern, char), uri)

/**
 * The URI HubSpot signed. Behind a proxy, `publicUrl` is the URL HubSpot calls: a bare origin keeps
 * the request's path, a URL with a path (a prefix the proxy strips) is used as it is. The request's
 * query string travels unless the public URL has its own.
 */
export const signedUri = (requestUrl: string, publicUrl: string | undefined): string => {
  const request = new URL(requestUrl)
  if (publicUrl === undefined) return decodeSignedUri(request.href)
  const pub = new URL(publicUrl)
  const path = pub.pathname === "/" ? request.pathname : pub.pathname
  const search = pub.search === "" ? request.search : pub.search
  return decodeSignedUri(`${pub.origin}${path}${search}`)
}

export const verify = (request: SignedRequest, options: VerifyOptions): Verdict => {
  const v3 = request.header("x-hubspot-signature-v3")
  if (v3 !== undefined) return verifyV3(request, options, v3)
  const legacy = request.header("x-hubspot-signature")
  const version = request.header("x-hubspot-signature-version") ?? "v1"
  if (legacy === undefined) return { ok: false, reason: "missing signature" }
  if (version !== "v1" && version !== "v2") return { ok: false, reason: `unknown signature version ${version}` }
  if (!options.legacyVersions.includes(version)) return { ok: false, reason: `signature version ${version} is not accepted` }
  return verifyLegacy(request, options, version, legacy)
}
