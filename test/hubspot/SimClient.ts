// Real @hubspot/api-client clients pointed at a simulator, for the fidelity tests.
import { afterAll, beforeAll, beforeEach } from "bun:test"
import { Client } from "@hubspot/api-client"
import { type HubSpotSimulator, startHubSpotSimulator } from "../support/hubspot/HubSpotSimulator.ts"

export const sdkClient = (url: string, accessToken = "test-token"): Client => new Client({ accessToken, basePath: url, numberOfApiCallRetries: 0 })

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

/** A simulator and an SDK client on it for the file's tests; `reset` clears the state between tests. */
export const useSimClient = (options: { readonly reset?: boolean } = {}) => {
  const env = {} as { sim: HubSpotSimulator; client: Client }
  beforeAll(async () => {
    env.sim = await startHubSpotSimulator()
    env.client = sdkClient(env.sim.url)
  })
  afterAll(() => env.sim.stop())
  if (options.reset === true) beforeEach(() => env.sim.reset())
  return env
}
