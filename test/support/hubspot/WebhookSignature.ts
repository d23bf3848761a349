// Signs webhook requests the way HubSpot does (v1, v2, v3).
import { createHash, createHmac } from "node:crypto"

export type SignatureVersion = "v1" | "v2" | "v3"

export const signatureHeaders = (
  version: SignatureVersion,
  secret: string,
  method: string,
  uri: string,
  body: string,
  timestamp: number
): Record<string, string> => {
  if (version === "v3") {
    const signature = createHmac("sha256", secret).update(`${method}${uri}${body}${timestamp}`, "utf8").digest("base64")
    return { "X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": String(timestamp) }
  }
  const source = version === "v1" ? `${secret}${body}` : `${secret}${method}${uri}${body}`
  return {
    "X-HubSpot-Signature": createHash("sha256").update(source, "utf8").digest("hex"),
    "X-HubSpot-Signature-Version": version
  }
}
