// Every environment variable the service reads, in one place (the README's table mirrors it);
// the steps' tunings are read with the step registry (application/StepTuning.ts).
import { Config, Duration, Option, Redacted } from "effect"
import type { BudgetConfig } from "../../application/BudgetPolicy.ts"

/** An unset or empty variable means "not configured". */
const optionalSecret = (name: string) => Config.option(Config.Redacted(name)).pipe(Config.map(Option.filter((value) => Redacted.value(value).trim() !== "")))

/** A duration ("30 seconds") or a bare number of seconds. */
const secondsOrDuration = (name: string, fallback: Duration.Duration) =>
  Config.Duration(name).pipe(
    Config.orElse(() => Config.Finite(name).pipe(Config.map((seconds) => Duration.seconds(seconds)))),
    Config.withDefault(fallback),
    Config.map(Duration.toMillis)
  )

export const budget: Config.Config<BudgetConfig> = Config.all({
  burst: Config.Int("HUBSPOT_BURST_LIMIT").pipe(Config.withDefault(100)),
  intervalMs: Config.Int("HUBSPOT_BURST_INTERVAL_MS").pipe(Config.withDefault(10_000)),
  daily: Config.Int("HUBSPOT_DAILY_LIMIT").pipe(Config.withDefault(250_000)),
  backfillShare: Config.Finite("BACKFILL_SHARE").pipe(Config.withDefault(0.5)),
  timeZone: Config.String("HUBSPOT_TIME_ZONE").pipe(Config.withDefault("UTC")),
  // A fraction of the daily cap (≤ 1) or a number of calls; the backfill stops there for the day.
  backfillDailyReserve: Config.Finite("BACKFILL_DAILY_RESERVE").pipe(Config.withDefault(0.2)),
  // The most a job's own --share may take of each window: live keeps the rest.
  maxBackfillShare: Config.Finite("BACKFILL_MAX_SHARE").pipe(Config.withDefault(0.9)),
  // While the day is spent, one cheap call this often asks HubSpot whether its day was reset.
  dailyProbeMs: secondsOrDuration("DAILY_PROBE_INTERVAL", Duration.seconds(60))
})

/** A duration ("15 minutes", "30 seconds") or a bare number of minutes; 0 turns it off. */
const minutesOrDuration = (name: string, fallback: Duration.Duration) =>
  Config.Duration(name).pipe(
    Config.orElse(() => Config.Finite(name).pipe(Config.map((minutes) => Duration.minutes(minutes)))),
    Config.withDefault(fallback),
    Config.map(Duration.toMillis)
  )

export const backfill = Config.all({
  reconcileIntervalMs: minutesOrDuration("RECONCILE_INTERVAL", Duration.minutes(15)),
  leaseMs: Config.Int("BACKFILL_LEASE_MS").pipe(Config.withDefault(60_000)),
  idleMs: Config.Int("BACKFILL_IDLE_MS").pipe(Config.withDefault(1_000)),
  handoffMs: Config.Int("BACKFILL_HANDOFF_MS").pipe(Config.withDefault(0)),
  // No new backfill page while the steps' queues hold more messages than this (0: no limit).
  maxBacklog: Config.Int("BACKFILL_MAX_BACKLOG").pipe(Config.withDefault(1000)),
  // The longest a backfill operation waits for this process's live work in flight (0: no wait).
  yieldMs: Config.Int("BACKFILL_YIELD_MS").pipe(Config.withDefault(500)),
  // Logs the summed time per span every this many ms ("span profile"); 0, the default, is off.
  profileSpansMs: Config.Int("PROFILE_SPANS_MS").pipe(Config.withDefault(0))
})

export const settings = Config.all({
  // 0 picks a free port (tests); Config.Port would refuse it.
  port: Config.Int("PORT").pipe(Config.withDefault(3000)),
  hostname: Config.String("HOST").pipe(Config.withDefault("0.0.0.0")),
  amqpUrl: optionalSecret("AMQP_URL"),
  mongoUrl: optionalSecret("MONGO_URL"),
  hubspotToken: optionalSecret("HUBSPOT_ACCESS_TOKEN"),
  /** Bearer token of the /admin API and page; unset: the admin routes are off. */
  adminToken: optionalSecret("ADMIN_TOKEN"),
  commerceApiUrl: Config.option(Config.String("COMMERCE_API_URL")).pipe(Config.map(Option.filter((url) => url.trim() !== ""))),
  commerceApiToken: optionalSecret("COMMERCE_API_TOKEN"),
  commerceApiTimeoutMs: Config.Int("COMMERCE_API_TIMEOUT_MS").pipe(Config.withDefault(10_000)),
  amqpPrefix: Config.String("AMQP_PREFIX").pipe(Config.withDefault("crm-sync")),
  /**
   * Partition queues per step (issue 12); every replica must use the same number, and changing
   * it needs the partition queues drained first (a key's messages would be split across two).
   */
  partitions: Config.Int("PARTITIONS").pipe(Config.withDefault(8)),
  /** This replica's id in the membership and in /readyz; a random UUID per start when unset. */
  replicaId: Config.option(Config.String("REPLICA_ID")).pipe(Config.map(Option.filter((id) => id.trim() !== ""))),
  mongoDb: Config.String("MONGO_DB").pipe(Config.withDefault("crm-sync")),
  mongoTimeoutMs: Config.Int("MONGO_TIMEOUT_MS").pipe(Config.withDefault(2000)),
  hubspotBasePath: Config.String("HUBSPOT_BASE_PATH").pipe(Config.withDefault("https://api.hubapi.com")),
  webhook: Config.all({
    clientSecret: optionalSecret("HUBSPOT_CLIENT_SECRET"),
    publicUrl: Config.option(Config.String("WEBHOOK_PUBLIC_URL")),
    legacyVersions: Config.String("WEBHOOK_LEGACY_SIGNATURES").pipe(
      Config.withDefault(""),
      Config.map((list) =>
        list
          .split(",")
          .map((v) => v.trim())
          .filter((v): v is "v1" | "v2" => v === "v1" || v === "v2")
      )
    ),
    maxBodyBytes: Config.Int("WEBHOOK_MAX_BODY_BYTES").pipe(Config.withDefault(1024 * 1024)),
    storeTimeoutMs: Config.Int("WEBHOOK_STORE_TIMEOUT_MS").pipe(Config.withDefault(1500))
  })
})
export type Settings = Config.Success<typeof settings>
