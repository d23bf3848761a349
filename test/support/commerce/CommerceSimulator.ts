// The commerce platform for tests: consumes `tocommerce.#` through the MessageBus port (so it runs
// on the in-memory bus and on RabbitMQ alike), publishes the ids it assigns and its own change
// events, and serves its REST lookups on a free port.
import { Clock, Context, Effect, Layer, Option, Semaphore } from "effect"
import type { LaneName } from "../../../src/application/Lane.ts"
import { MessageBus, MessageBusError } from "../../../src/application/ports/MessageBus.ts"
import type { ParkedItems } from "../../../src/application/ports/ParkedItems.ts"
import type { BatchHandler, Envelope, OutgoingMessage, Step } from "../../../src/application/Step.ts"
import { fromError, StepFailure } from "../../../src/application/StepFailure.ts"
import { runStep } from "../../../src/application/StepRunner.ts"
import type { CommerceEntity } from "../../../src/domain/CorrespondenceTable.ts"
import { inbound } from "./Inbound.ts"
import type { Ctx, Plan, Settings } from "./Plan.ts"
import * as PlatformChanges from "./PlatformChanges.ts"
import { entities, PlatformState, type Rec, type Seed, type SimEntity } from "./PlatformState.ts"
import { type Faults, startRestServer } from "./RestServer.ts"
import { StagedState } from "./StagedState.ts"

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
  /** When the platform's consumer was handed the message (epoch ms), before it waited to apply it. */
  readonly arrivedAt: number
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
  // Batches of up to 100, answered with one publish: one at a time (a confirm each) the platform
  // handled ~100 messages a second and a backfill's ids came back long after its pages; batched it
  // drains ~1 500 a second, about as fast at 50 or 300. A live message waits for the backfill batch
  // being applied (one applies at a time), so bigger batches would only make live wait longer.
  prefetch: 100,
  // The platform reads what we send in the order we sent it (its own queues are not
  // partitioned): one key per lane puts each lane's messages on one partition, one batch at a
  // time, in order. A live batch is taken while a backfill batch is handled (and then waits its
  // turn to apply: one batch applies at a time), so the time it reached the platform is known.
  partitionKeyOf: (message) => `platform:${message.lane}`
}

/** One platform operation: what it decides, and the lane its answers travel in (none: live). */
interface Operation {
  readonly plan: (ctx: Ctx) => Plan
  readonly lane?: LaneName
}

/** What became of one operation of a batch: its plan, or what planning it threw (a bug it hit). */
type Planned = { readonly _tag: "Planned"; readonly plan: Plan } | { readonly _tag: "Threw"; readonly error: unknown }

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export const make = Effect.fn("CommerceSimulator.make")(function* (options: Options = {}) {
  const bus = yield* MessageBus
  const state = new PlatformState(options.seed)
  const lock = yield* Semaphore.make(1)
  const log: Array<Received> = []
  const published: Array<OutgoingMessage> = []
  let settings: Settings = { eventsCarry: options.eventsCarry ?? "payload", echoNoopUpdates: options.echoNoopUpdates ?? false }

  // A batch is planned in order, each operation seeing what the earlier ones decided
  // (StagedState); its answers go out in one publish (one confirm) and only then is anything
  // stored: a failed publish leaves nothing applied, and the batch comes again. One batch at a time.
  const apply = (operations: ReadonlyArray<Operation>) =>
    lock.withPermits(1)(
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const staged = new StagedState(state)
        const planned = operations.map((operation): Planned => {
          try {
            const plan = operation.plan({ ...settings, state: staged, now, ...(operation.lane === undefined ? {} : { lane: operation.lane }) })
            for (const e of plan.puts) staged.put(e)
            return { _tag: "Planned", plan }
          } catch (error) {
            return { _tag: "Threw", error }
          }
        })
        const messages = planned.flatMap((p) => (p._tag === "Planned" ? p.plan.messages : []))
        if (messages.length > 0) yield* bus.publish(messages)
        staged.commit()
        published.push(...messages)
        return planned
      })
    )

  // A platform-side change a test makes: one operation; a test bug it hits fails the test loudly.
  const run = (plan: (ctx: Ctx) => Plan) =>
    apply([{ plan }]).pipe(
      Effect.flatMap(([done]) =>
        done?._tag === "Planned" ? Effect.succeed(done.plan) : Effect.die(done?.error ?? new Error("commerce simulator: nothing planned"))
      )
    )

  // Each delivery is logged with what it did and settled on its own: one the platform cannot
  // read (or that hits a bug) is parked while the rest of its batch is applied; a failed publish
  // retries every message it would have answered.
  const handler: BatchHandler = (envelopes) => {
    const arrivedAt = Date.now()
    const operations = envelopes.map((envelope) => inbound(envelope.type, envelope.payload))
    const readable = envelopes.flatMap((envelope, index) =>
      Option.match(operations[index] ?? Option.none(), { onNone: () => [], onSome: (plan) => [{ plan, lane: envelope.lane }] })
    )
    const settle = (planned: ReadonlyArray<Planned> | MessageBusError) => {
      let next = 0
      return envelopes.map((envelope, index): StepFailure | undefined => {
        const entry = (outcome: string, failure?: StepFailure) => {
          log.push({ envelope, outcome, arrivedAt })
          return failure
        }
        if (Option.isNone(operations[index] ?? Option.none())) {
          return entry("invalid", new StepFailure({ retryable: false, reason: `commerce platform cannot read ${envelope.type}` }))
        }
        if (planned instanceof MessageBusError) return entry(`failed: ${planned.message}`, fromError(planned))
        const done = planned[next++]
        if (done?._tag === "Planned") return entry(done.plan.outcome)
        const why = messageOf(done?.error)
        return entry(`failed: ${why}`, new StepFailure({ retryable: false, reason: `commerce platform failed on ${envelope.type}: ${why}` }))
      })
    }
    return (readable.length === 0 ? Effect.succeed([]) : apply(readable)).pipe(
      Effect.map(settle),
      Effect.catch((error) => Effect.sync(() => settle(error)))
    )
  }
  yield* runStep({ ...defaultStep, ...options.step }, handler)

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
