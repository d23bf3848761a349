import { Effect, Layer } from "effect"
import type { Hono } from "hono"

export interface Options {
  readonly port: number
  readonly hostname: string
}

/** Serves a Hono app with Bun for the lifetime of the layer; stops taking requests on shutdown. */
export const layer = (app: Hono, options: Options) =>
  Layer.effectDiscard(
    Effect.acquireRelease(
      Effect.gen(function* () {
        const server = Bun.serve({ port: options.port, hostname: options.hostname, fetch: app.fetch })
        yield* Effect.logInfo("HTTP server listening").pipe(Effect.annotateLogs({ url: server.url.href }))
        return server
      }),
      (server) => Effect.promise(() => server.stop()).pipe(Effect.andThen(Effect.logInfo("HTTP server stopped")))
    )
  )
