// One AMQP connection kept alive: heartbeats, reconnect with capped backoff, and hooks that
// re-declare topology and re-attach consumers after every (re)connect, retried until they work.
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib"
import { Deferred, Effect, Schedule, type Scope, Semaphore } from "effect"
import type { MessageBusError } from "../../application/ports/MessageBus.ts"
import { unavailable } from "./ConfirmedPublish.ts"

export interface SessionOptions {
  readonly url: string
  readonly heartbeatSeconds: number
  readonly reconnectMaxDelayMs: number
  /** Shown by `rabbitmqctl list_connections client_properties`. */
  readonly connectionName: string
  /** A connect (TCP + AMQP handshake) not done by then fails as BusUnavailable. Default 10 s. */
  readonly connectTimeoutMs?: number
  /** A hook (declares, channel opening, consumer attach) not done by then fails and is retried. Default 30 s. */
  readonly operationTimeoutMs?: number
}
export type Hook = (connection: ChannelModel) => Effect.Effect<void, MessageBusError>

export interface Session {
  /** The shared confirm channel for publishing; fails fast with BusUnavailable while disconnected. */
  readonly publisher: Effect.Effect<ConfirmChannel, MessageBusError>
  /** Forgets the publisher channel (e.g. after a confirm timeout): the next use opens a fresh one. */
  readonly dropPublisher: (channel: ConfirmChannel) => Effect.Effect<void>
  /** Runs the hook now and after every reconnect until the scope closes; the first run's error is returned. */
  readonly onConnect: (hook: Hook) => Effect.Effect<void, MessageBusError, Scope.Scope>
  /** True while `model` is the session's connection and has not closed. */
  readonly isLive: (model: ChannelModel) => boolean
  readonly connected: () => boolean
  readonly backoff: Schedule.Schedule<unknown>
}

const withHeartbeat = (url: string, seconds: number): string => {
  const parsed = new URL(url)
  parsed.searchParams.set("heartbeat", String(seconds))
  return parsed.toString()
}
// Without a listener an "error" event would throw; failures surface through "close" instead.
const ignoreErrors = (emitter: { on(event: "error", listener: (err: Error) => void): unknown }) => void emitter.on("error", () => undefined)

/**
 * amqplib writes every frame (a publish, an ack) to the socket on its own, and on Bun each socket
 * write costs about five times a buffered one: the service spent a tenth of its CPU there during
 * a backfill (bench/backfill-crm.ts --cpu-prof). Its muxer writes whatever frames are queued in
 * one round; the socket is corked for that round, so they leave as one write. Frames, their order
 * and back-pressure are unchanged. If amqplib's internals change shape, frames go out as before.
 */
const corkFrameRounds = (model: ChannelModel) => {
  const connection = (model as unknown as { readonly connection?: { readonly stream?: unknown; readonly muxer?: { _readIncoming?: unknown } } }).connection
  const stream = connection?.stream as { cork?: unknown; uncork?: unknown } | undefined
  const muxer = connection?.muxer
  if (muxer === undefined || typeof muxer._readIncoming !== "function" || typeof stream?.cork !== "function" || typeof stream.uncork !== "function") return
  const round = muxer._readIncoming.bind(muxer) as () => void
  const cork = stream.cork.bind(stream) as () => void
  const uncork = stream.uncork.bind(stream) as () => void
  muxer._readIncoming = () => {
    cork()
    try {
      round()
    } finally {
      uncork()
    }
  }
}

interface Live {
  readonly model: ChannelModel
  readonly closed: Deferred.Deferred<void>
}

export const make = Effect.fn("RabbitMq.Session")(function* (options: SessionOptions) {
  const lock = yield* Semaphore.make(1)
  const hooks = new Set<Hook>()
  const closedModels = new WeakSet<ChannelModel>()
  let connection: ChannelModel | undefined
  let publisher: ConfirmChannel | undefined

  const backoff = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced(options.reconnectMaxDelayMs)]).pipe(Schedule.jittered)

  // The close listener is registered as soon as the connection exists, before any hook runs: a
  // connection that drops while hooks re-attach is still noticed.
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
  const operationTimeoutMs = options.operationTimeoutMs ?? 30_000
  // A broker (or a blackholing link) that accepts TCP and never answers must not hang the connect:
  // it times out, and a connection that completes after that is closed at once.
  const connect = Effect.gen(function* () {
    const closed = yield* Deferred.make<void>()
    const model = yield* Effect.tryPromise({
      try: (signal) =>
        amqp
          .connect(withHeartbeat(options.url, options.heartbeatSeconds), {
            clientProperties: { connection_name: options.connectionName },
            timeout: connectTimeoutMs
          })
          .then((m) => {
            ignoreErrors(m)
            corkFrameRounds(m)
            m.once("close", () => {
              closedModels.add(m)
              Deferred.doneUnsafe(closed, Effect.void)
            })
            if (signal.aborted) {
              m.close().catch(() => undefined)
              throw new Error("connected after the connect timeout")
            }
            return m
          }),
      catch: unavailable
    }).pipe(Effect.timeoutOrElse({ duration: connectTimeoutMs, orElse: () => Effect.fail(unavailable(`no AMQP connection within ${connectTimeoutMs} ms`)) }))
    return { model, closed } satisfies Live
  })

  /** A channel operation that hangs (a blocked or half-dead connection) fails instead. */
  const bounded = <A>(what: string, effect: Effect.Effect<A, MessageBusError>) =>
    effect.pipe(
      Effect.timeoutOrElse({
        duration: operationTimeoutMs,
        orElse: () => Effect.fail(unavailable(`${what}: no answer from RabbitMQ within ${operationTimeoutMs} ms`))
      })
    )

  const isLive = (model: ChannelModel) => connection === model && !closedModels.has(model)

  const openPublisher = Effect.fnUntraced(function* (model: ChannelModel) {
    const channel = yield* bounded("opening the publish channel", Effect.tryPromise({ try: () => model.createConfirmChannel(), catch: unavailable }))
    ignoreErrors(channel)
    // A channel-level error (e.g. a 404) closes only this channel: open a new one on next use.
    channel.on("close", () => void (publisher === channel && (publisher = undefined)))
    publisher = channel
    return channel
  })

  // Each hook is retried with backoff until it works; all are abandoned if the connection closes
  // meanwhile (the next connection runs them again).
  const runHooks = (live: Live, current: ReadonlyArray<Hook>) =>
    Effect.forEach(
      current,
      (hook) =>
        bounded("re-attach", hook(live.model)).pipe(
          Effect.tapError((e) => Effect.logWarning("AMQP re-attach failed; retrying", e.message)),
          Effect.retry(backoff)
        ),
      { discard: true }
    ).pipe(Effect.raceFirst(Deferred.await(live.closed)))

  // Supervises the connection: when it closes, reconnect (capped backoff) and re-run the hooks.
  const supervise = Effect.fnUntraced(function* (first: Live) {
    let live = first
    while (true) {
      yield* Deferred.await(live.closed)
      yield* lock.withPermits(1)(
        Effect.sync(() => {
          connection = undefined
          publisher = undefined
        })
      )
      yield* Effect.logWarning("AMQP connection lost; reconnecting")
      live = yield* connect.pipe(
        Effect.tapError((e) => Effect.logWarning("AMQP reconnect failed", e.message)),
        Effect.retry(backoff),
        Effect.orDie
      )
      const next = live
      const current = yield* lock.withPermits(1)(
        Effect.sync(() => {
          connection = next.model
          return [...hooks]
        })
      )
      yield* runHooks(next, current)
      if (isLive(next.model)) yield* Effect.logInfo("AMQP reconnected")
    }
  })

  const first = yield* connect
  connection = first.model
  // Finalizers run in reverse: the supervisor is interrupted first, so closing does not reconnect.
  yield* Effect.addFinalizer(() => Effect.promise(() => (connection ?? first.model).close().catch(() => undefined)))
  yield* Effect.forkScoped(supervise(first))

  const session: Session = {
    publisher: Effect.suspend(() => {
      if (publisher !== undefined) return Effect.succeed(publisher)
      if (connection === undefined) return Effect.fail(unavailable("not connected to RabbitMQ (reconnecting)"))
      return openPublisher(connection)
    }),
    dropPublisher: (channel) =>
      Effect.sync(() => {
        if (publisher === channel) publisher = undefined
        channel.close().catch(() => undefined)
      }),
    onConnect: (hook) =>
      Effect.gen(function* () {
        const now = yield* lock.withPermits(1)(
          Effect.sync(() => {
            hooks.add(hook)
            return connection
          })
        )
        yield* Effect.addFinalizer(() => Effect.sync(() => hooks.delete(hook)))
        if (now !== undefined) yield* bounded("attach", hook(now))
      }),
    isLive,
    connected: () => connection !== undefined && isLive(connection),
    backoff
  }
  return session
})
