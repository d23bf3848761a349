// One AMQP connection kept alive: heartbeats, reconnect with capped backoff, and hooks that
// re-declare topology and re-attach consumers after every (re)connect.
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib"
import { Effect, Schedule, type Scope, Semaphore } from "effect"
import type { MessageBusError } from "../../application/ports/MessageBus.ts"
import { unavailable } from "./ConfirmedPublish.ts"

export interface SessionOptions {
  readonly url: string
  readonly heartbeatSeconds: number
  readonly reconnectMaxDelayMs: number
  /** Shown by `rabbitmqctl list_connections client_properties`. */
  readonly connectionName: string
}
export type Hook = (connection: ChannelModel) => Effect.Effect<void, MessageBusError>

export interface Session {
  /** The shared confirm channel for publishing; fails fast with BusUnavailable while disconnected. */
  readonly publisher: Effect.Effect<ConfirmChannel, MessageBusError>
  /** Runs the hook now and after every reconnect until the scope closes; the first run's error is returned. */
  readonly onConnect: (hook: Hook) => Effect.Effect<void, MessageBusError, Scope.Scope>
}

const withHeartbeat = (url: string, seconds: number): string => {
  const parsed = new URL(url)
  parsed.searchParams.set("heartbeat", String(seconds))
  return parsed.toString()
}
// Without a listener an "error" event would throw; failures surface through "close" instead.
const ignoreErrors = (emitter: { on(event: "error", listener: (err: Error) => void): unknown }) => void emitter.on("error", () => undefined)

export const make = Effect.fn("RabbitMq.Session")(function* (options: SessionOptions) {
  const lock = yield* Semaphore.make(1)
  const hooks = new Set<Hook>()
  let connection: ChannelModel | undefined
  let publisher: ConfirmChannel | undefined

  const connect = Effect.tryPromise({
    try: () => amqp.connect(withHeartbeat(options.url, options.heartbeatSeconds), { clientProperties: { connection_name: options.connectionName } }),
    catch: unavailable
  }).pipe(Effect.tap((model) => Effect.sync(() => ignoreErrors(model))))

  const openPublisher = Effect.fnUntraced(function* (model: ChannelModel) {
    const channel = yield* Effect.tryPromise({ try: () => model.createConfirmChannel(), catch: unavailable })
    ignoreErrors(channel)
    // A channel-level error (e.g. a 404) closes only this channel: open a new one on next use.
    channel.on("close", () => void (publisher === channel && (publisher = undefined)))
    publisher = channel
    return channel
  })

  const runHooks = (model: ChannelModel) =>
    Effect.forEach([...hooks], (hook) => hook(model).pipe(Effect.catch((e) => Effect.logWarning("re-attach failed", e))), { discard: true })

  const closed = (model: ChannelModel) =>
    Effect.callback<void>((resume) => void model.once("close", () => resume(Effect.void)))

  const backoff = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced(options.reconnectMaxDelayMs)]).pipe(Schedule.jittered)

  // Supervises the connection: when it closes, reconnect (capped backoff) and re-run the hooks.
  const supervise = Effect.fnUntraced(function* (first: ChannelModel) {
    let model = first
    while (true) {
      yield* closed(model)
      yield* lock.withPermits(1)(
        Effect.sync(() => {
          connection = undefined
          publisher = undefined
        })
      )
      yield* Effect.logWarning("AMQP connection lost; reconnecting")
      model = yield* connect.pipe(
        Effect.tapError((e) => Effect.logWarning("AMQP reconnect failed", e.message)),
        Effect.retry(backoff),
        Effect.orDie
      )
      const next = model
      yield* lock.withPermits(1)(Effect.sync(() => void (connection = next)).pipe(Effect.andThen(runHooks(next))))
      yield* Effect.logInfo("AMQP reconnected")
    }
  })

  const first = yield* connect
  connection = first
  // Finalizers run in reverse: the supervisor is interrupted first, so closing does not reconnect.
  yield* Effect.addFinalizer(() => Effect.promise(() => (connection ?? first).close().catch(() => undefined)))
  yield* Effect.forkScoped(supervise(first))

  const session: Session = {
    publisher: Effect.suspend(() => {
      if (publisher !== undefined) return Effect.succeed(publisher)
      if (connection === undefined) return Effect.fail(unavailable("not connected to RabbitMQ (reconnecting)"))
      return openPublisher(connection)
    }),
    onConnect: (hook) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          hooks.add(hook)
          yield* Effect.addFinalizer(() => Effect.sync(() => hooks.delete(hook)))
          if (connection !== undefined) yield* hook(connection)
        })
      )
  }
  return session
})
