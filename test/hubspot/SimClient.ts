// Real @hubspot/api-client clients pointed at a simulator, for the fidelity tests.
import { Client } from "@hubspot/api-client"

export const sdkClient = (url: string, accessToken = "test-token"): Client =>
  new Client({ accessToken, basePath: url, numberOfApiCallRetries: 0 })

/** The SDK throws one ApiException class per module: read it by shape. */
export const apiError = async (promise: Promise<unknown>): Promise<{ code: number; body: unknown; headers: Record<string, string> }> => {
  try {
    await promise
  } catch (e) {
    const err = e as { code?: unknown; body?: unknown; headers?: Record<string, string> }
    if (typeof err.code === "number") return { code: err.code, body: err.body, headers: err.headers ?? {} }
    throw e
  }
  throw new Error("expected the call to fail")
}
