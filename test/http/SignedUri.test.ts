// The URI a v3 signature covers, checked against signatures made by the official SDK's Signature
// (what HubSpot's own tooling computes), for proxies with a path prefix and encoded characters.
import { describe, expect, test } from "bun:test"
import { Signature } from "@hubspot/api-client/lib/src/utils/signature.js"
import { signedUri, verify } from "../../src/adapters/http/HubSpotSignature.ts"

const SECRET = "shhh"
const body = JSON.stringify([{ eventId: 1, objectId: 5 }])
const now = 1_700_000_000_000

/** What HubSpot sends: the SDK's v3 signature over the URL HubSpot called, escapes decoded. */
const sdkSigned = (hubspotCalled: string) => {
  const signature = Signature.getSignature("POST", "v3", { clientSecret: SECRET, signature: "", requestBody: body, url: hubspotCalled, timestamp: now })
  const headers: Record<string, string> = { "x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": String(now) }
  return (name: string) => headers[name]
}
const accepted = (uri: string, header: (name: string) => string | undefined) =>
  verify({ method: "POST", uri, body, header }, { clientSecret: SECRET, now, legacyVersions: [] }).ok

describe("the signed URI", () => {
  test("behind a proxy that strips a path prefix, the public URL's path is what HubSpot signed", () => {
    const header = sdkSigned("https://shop.example/crm-sync/webhooks/hubspot")
    const uri = signedUri("http://10.0.0.5:3000/webhooks/hubspot", "https://shop.example/crm-sync/webhooks/hubspot")
    expect(uri).toBe("https://shop.example/crm-sync/webhooks/hubspot")
    expect(accepted(uri, header)).toBe(true)
  })

  test("a bare public origin keeps the request's path and query", () => {
    const header = sdkSigned("https://shop.example/webhooks/hubspot?portal=42")
    expect(accepted(signedUri("http://127.0.0.1:3000/webhooks/hubspot?portal=42", "https://shop.example"), header)).toBe(true)
  })

  test("HubSpot's listed escapes are decoded before the signature is checked", () => {
    // HubSpot signs the decoded form; the request arrives with the characters percent-encoded.
    const header = sdkSigned("https://shop.example/webhooks/hubspot?to=a:b/c?d@e!f$g'h(i)j*k,l;m")
    const uri = signedUri("https://shop.example/webhooks/hubspot?to=a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm", undefined)
    expect(uri).toBe("https://shop.example/webhooks/hubspot?to=a:b/c?d@e!f$g'h(i)j*k,l;m")
    expect(accepted(uri, header)).toBe(true)
  })

  test("other escapes stay encoded, as HubSpot leaves them", () => {
    expect(signedUri("https://shop.example/webhooks/hubspot?q=a%20b%26c", undefined)).toBe("https://shop.example/webhooks/hubspot?q=a%20b%26c")
  })

  test("a signature over another path is still refused", () => {
    const header = sdkSigned("https://shop.example/other/webhooks/hubspot")
    expect(accepted(signedUri("http://10.0.0.5:3000/webhooks/hubspot", "https://shop.example/crm-sync/webhooks/hubspot"), header)).toBe(false)
  })
})
