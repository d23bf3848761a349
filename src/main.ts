// The composition root: reads the configuration, picks the adapters, runs the HTTP side, the
// steps and the outbox relay until SIGTERM.
import { Effect, Layer, Logger, Option } from "effect"
import * as Adapters from "./adapters/compose/Adapters.ts"
import * as HttpApp from "./adapters/compose/HttpApp.ts"
import * as Settings from "./adapters/config/Settings.ts"
import * as EventLoopLag from "./adapters/metrics/EventLoopLag.ts"
import * as PromMetrics from "./adapters/metrics/PromMetrics.ts"
import * as SpanProfile from "./adapters/metrics/SpanProfile.ts"
import { runMain } from "./adapters/process/RunMain.ts"
import { runnerLayer } from "./application/BackfillRunner.ts"
import * as LiveFirst from "./application/LiveFirst.ts"
import * as PartitionOwnership from "./application/PartitionOwnership.ts"
import { defaultOwnership } from "./application/PartitionOwnership.ts"
import { relayLayer } from "./application/RelayOutbox.ts"
import { reconcileLayer } from "./application/ScheduleReconcile.ts"
import { registeredSteps } from "./application/StepRegistry.ts"
import * as SyncWorkers from "./application/SyncWorkers.ts"

const App = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* Settings.settings
    const steps = yield* registeredSteps
    for (const line of Adapters.describeAdapters(config)) yield* Effect.logInfo(line)
    const backfill = yield* Settings.backfill
    const replica = Option.getOrElse(config.replicaId, () => crypto.randomUUID())
    yield* Effect.logInfo(`replica ${replica}; ${config.partitions} partitions per step`)
    // Fresh events are the fast path's for 10 s: far longer than a publish and its mark take.
    const relay = relayLayer({ claimant: replica, batchSize: 1000, leaseMs: 30_000, idleMs: 1000, freshGraceMs: 10_000 })
    // Backfill and reconcile jobs live in the store; every replica runs their pages.
    const { profileSpansMs, yieldMs, ...runner } = backfill
    const jobs = Layer.merge(runnerLayer({ holder: replica, ...runner }), reconcileLayer(backfill.reconcileIntervalMs))
    const metrics = PromMetrics.make()
    // Partition ownership closes first on SIGTERM (merged last): every index is released, its
    // batches settled, before the steps' consumers and the rest stop.
    const ownership = PartitionOwnership.layer({ replica, ...defaultOwnership })
    const service = Layer.mergeAll(HttpApp.layer(config, metrics, replica), SyncWorkers.layer(steps), relay, jobs, EventLoopLag.layer(), ownership)
    return service.pipe(
      Layer.provide(
        Adapters.layer(
          config,
          steps.map((s) => s.step),
          replica
        )
      ),
      Layer.provide(PromMetrics.layer(metrics)),
      Layer.provide(profileSpansMs > 0 ? SpanProfile.layer(profileSpansMs) : Layer.empty),
      Layer.provide(LiveFirst.layer(yieldMs))
    )
  })
)

App.pipe(Layer.launch, Effect.provide(Logger.layer([Logger.consoleJson])), runMain)
