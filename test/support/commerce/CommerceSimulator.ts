// The commerce platform for tests: consumes `tocommerce.#` through the MessageBus port (so it runs
// on the in-memory bus and on RabbitMQ alike), publishes the ids it assigns and its own change
// events, and serves its REST lookups on a free port.
import { Clock, Context, Effect, Layer, Option, Semaphore } from "effect"
import { MessageBus, type MessageBusError } from "../../../src/application/ports/MessageBus.ts"
import type { ParkedItems } from "../../../src/application/ports/ParkedItems.ts"
import type { Envelope, OutgoingMessage, Step } from "../../../src/application/Step.ts"
import { fromError, StepFailure } from "../../../src/application/StepFailure.ts"
import { runStep } from "../../../src/application/StepRunner.ts"
import type { CommerceEntity } from "../../../src/domain/CorrespondenceTable.ts"
import { eachMessage } from "../EachMessage.ts"
import { inbound } from "./Inbound.ts"
import type { Ctx, Plan, Settings } from "./Plan.ts"
import * as PlatformChanges from "./PlatformChanges.ts"
import { entities, PlatformState, type Rec, type Seed, type SimEntity } from "./PlatformState.ts"
import { type Faults, startRestServer } from "./RestServer.ts"

export type { Faults, Rec, Seed, Settings, SimEntity }

export interface Options extends Partial<Settings> {
  /** Entities present before the test starts (no events are published for them). */
  readonly seed?: Seed
  /** When set, REST calls must carry `Authorization: Bearer <token>`. */
  readonly token?: string
  readonly faults?: Partial<Faults>
  readonly step?: Partial<Step>
}

export interface Received {
  readonly envelope: Envelope
  /** What the platform did: "created u-1", "ignored: version 1 < 2", "invalid", "failed: …". */
  readonly outcome: string
}

type Change<A extends ReadonlyArray<unknown>, R> = (...args: A) => Effect.Effect<R, MessageBusError>

export interface Simulator {
  /** Base URL of the REST API. */
  readonly url: string
  /** Platform-side changes: stored, then announced with `commerce.<entity>_<action>`. */
  readonly create: Change<[entity: CommerceEntity, fields: Rec], Rec>
  readonly update: Change<[entity: CommerceEntity, id: string, fields: Rec], Rec>
  readonly remove: Change<[entity: CommerceEntity, id: string], void>
  readonly createUser: Change<[fields: Rec], Rec>
  readonly updateUser: Change<[id: string, fields: Rec], Rec>
  readonly deleteUser: Change<[id: string], void>
  readonly createBusiness: Change<[fields: Rec], Rec>
  readonly updateBusiness: Change<[id: string, fields: Rec], Rec>
  readonly deleteBusiness: Change<[id: string], void>
  readonly createPurchase: Change<[fields: Rec], Rec>
  readonly updatePurchase: Change<[id: string, fields: Rec], Rec>
  readonly deletePurchase: Change<[id: string], void>
  /** Every entity, deleted ones included, in id order. */
  readonly state: () => Readonly<Record<CommerceEntity, ReadonlyArray<SimEntity>>>
  readonly find: (entity: CommerceEntity, id: string) => SimEntity | undefined
  /**
   * Every delivery of a `tocommerce.*` message, retries included, with what it did: the log
   * itself, not a copy (a bench polls it every few ms while it grows), so read it at once.
   */
  readonly received: () => ReadonlyArray<Received>
  readonly published: () => ReadonlyArray<OutgoingMessage>
  /** Waits (real time) until `count` deliveries were handled; dies after `timeoutMs`. */
  readonly awaitReceived: (count: number, timeoutMs?: number) => Effect.Effect<ReadonlyArray<Received>>
  readonly configure: (settings: Partial<Settings>) => void
  readonly setFaults: (faults: Partial<Faults>) => void
}

export class CommerceSimulator extends Context.Service<CommerceSimulator, Simulator>()("crm-sync/test/support/commerce/CommerceSimulator") {}

export const defaultStep: Step = {
  name: "commerce-platform",
  bindings: ["tocommerce.#"],
  retryTiersMs: [50, 500],
  maxAttempts: 5,
  deliveryLimit: 5,
  prefetch: 1,
  // The platform reads what we send in the order we sent it (its own queues are not
  // partitioned): one key puts every message on one partition, handled one at a time.
  partitionKeyOf: () => "platform"
}

export const make = Effect.fn("CommerceSimulator.make")(function* (options: Options = {}) {
  const bus = yield* MessageBus
  const state = new PlatformState(options.seed)
  const lock = yield* Semaphore.make(1)
  const log: Array<Received> = []
  const published: Array<OutgoingMessage> = []
  let settings: Settings = { eventsCarry: options.eventsCarry ?? "payload", echoNoopUpdates: options.echoNoopUpdates ?? false }

  // Publish before storing, one operation at a time: a failed publish leaves nothing half done.
  const run = (compute: (ctx: Ctx) => Plan, answering?: Envelope) =>
    lock.withPermits(1)(
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const plan = yield* Effect.sync(() => compute({ ...settings, state, now, ...(answering === undefined ? {} : { lane: answering.lane }) }))
        if (plan.messages.length > 0) yield* bus.publish(plan.messages)
        for (const e of plan.puts) state.put(e)
        published.push(...plan.messages)
        return plan
      })
    )

  const handler = (envelope: Envelope) =>
    Option.match(inbound(envelope.type, envelope.payload), {
      onNone: () => {
        log.push({ envelope, outcome: "invalid" })
        return Effect.fail(new StepFailure({ retryable: false, reason: `commerce platform cannot read ${envelope.type}` }))
      },
      onSome: (operation) =>
        run(operation, envelope).pipe(
          Effect.tap((plan) => Effect.sync(() => log.push({ envelope, outcome: plan.outcome }))),
          Effect.tapError((error) => Effect.sync(() => log.push({ envelope, outcome: `failed: ${error.message}` }))),
          Effect.mapError(fromError),
          Effect.asVoid
        )
    })
  yield* runStep({ ...defaultStep, ...options.step }, eachMessage(handler))

  const server = yield* Effect.acquireRelease(
    Effect.sync(() => startRestServer(state, { token: options.token, faults: options.faults })),
    (s) => Effect.promise(() => s.stop())
  )

  const create = (entity: CommerceEntity, fields: Rec) =>
    run((ctx) => PlatformChanges.create(ctx, entity, fields)).pipe(Effect.map((plan) => plan.puts[0]?.record ?? {}))
  const update = (entity: CommerceEntity, id: string, fields: Rec) =>
    run((ctx) => PlatformChanges.update(ctx, entity, id, fields)).pipe(Effect.map(() => state.get(entity, id)?.record ?? {}))
  const remove = (entity: CommerceEntity, id: string) => run((ctx) => PlatformChanges.remove(ctx, entity, id)).pipe(Effect.asVoid)

  const awaitReceived = (count: number, timeoutMs = 2_000) =>
    Effect.gen(function* () {
      while (log.length < count) yield* Effect.sleep(5)
      return [...log]
    }).pipe(
      Effect.timeoutOrElse({
        duration: timeoutMs,
        orElse: () => Effect.die(new Error(`commerce simulator: ${log.length} of ${count} messages handled after ${timeoutMs} ms`))
      })
    )

  return CommerceSimulator.of({
    url: server.url,
    create,
    update,
    remove,
    createUser: (fields) => create("user", fields),
    updateUser: (id, fields) => update("user", id, fields),
    deleteUser: (id) => remove("user", id),
    createBusiness: (fields) => create("business", fields),
    updateBusiness: (id, fields) => update("business", id, fields),
    deleteBusiness: (id) => remove("business", id),
    createPurchase: (fields) => create("purchase", fields),
    updatePurchase: (id, fields) => update("purchase", id, fields),
    deletePurchase: (id) => remove("purchase", id),
    state: () => Object.fromEntries(entities.map((entity) => [entity, state.list(entity)])) as Record<CommerceEntity, ReadonlyArray<SimEntity>>,
    find: (entity, id) => state.get(entity, id),
    received: () => log,
    published: () => [...published],
    awaitReceived,
    configure: (partial) => {
      settings = { ...settings, ...partial }
    },
    setFaults: server.setFaults
  })
})

export const layer = (options: Options = {}): Layer.Layer<CommerceSimulator, MessageBusError, MessageBus | ParkedItems> =>
  Layer.effect(CommerceSimulator, make(options))
