// Backfill jobs on MongoDB / FerretDB. FerretDB 1.24 does not apply concurrent updates atomically,
// so every decision between replicas is a unique-key insert: a finished page is one document
// `${job}/${page}` (the first insert wins), and a page lease is one document per attempt
// `${job}/${page}/${attempt}`: renewing and taking over both insert the next attempt, so of two
// replicas racing for a page exactly one gets it. Older attempts and pages are deleted by the
// winner, which keeps every collection a few documents per job (FerretDB scans on every query).
import { Effect, Layer } from "effect"
import type { Db } from "mongodb"
import { type BackfillJob, BackfillJobs, type JobDefinition, type JobState, type PageLease, type PageProgress } from "../../application/ports/BackfillJobs.ts"
import { collections } from "./Indexes.ts"
import { MongoDb } from "./MongoConnection.ts"
import { duplicatesOf, oneBatch, orDuplicate, run } from "./MongoOp.ts"

interface JobDoc {
  _id: string
  definition: JobDefinition
  state: JobState
  waitUntil: number | null
  note?: string | null
  createdAt: number
  updatedAt: number
}
interface PageDoc {
  _id: string
  jobId: string
  page: number
  cursor: string | null
  /** Outcome → count as pairs: outcomes name reasons ("invalid: … [domain] …"), and FerretDB refuses keys with "." or a leading "$". */
  counts: Array<{ k: string; n: number }> | Record<string, number>
  total?: number | null
  activeMs?: number | null
  finishedAt: number
}
interface LeaseDoc {
  _id: string
  jobId: string
  page: number
  attempt: number
  holder: string
  expiresAt: number
}

const toJob = (d: JobDoc): BackfillJob => ({
  id: d._id,
  definition: d.definition,
  state: d.state,
  waitUntil: d.waitUntil ?? undefined,
  ...(typeof d.note === "string" ? { note: d.note } : {}),
  createdAt: d.createdAt,
  updatedAt: d.updatedAt
})
const toProgress = (d: PageDoc): PageProgress => ({
  jobId: d.jobId,
  page: d.page,
  cursor: d.cursor ?? undefined,
  counts: Array.isArray(d.counts) ? Object.fromEntries(d.counts.map(({ k, n }) => [k, n])) : d.counts,
  ...(typeof d.total === "number" ? { total: d.total } : {}),
  ...(typeof d.activeMs === "number" ? { activeMs: d.activeMs } : {}),
  finishedAt: d.finishedAt
})

/** The attempt a lease call should insert, or undefined when another holder's lease is live. */
export const nextAttempt = (current: ReadonlyArray<Pick<LeaseDoc, "attempt" | "holder" | "expiresAt">>, holder: string, now: number): number | undefined => {
  const latest = current.reduce<(typeof current)[number] | undefined>((best, l) => (best === undefined || l.attempt > best.attempt ? l : best), undefined)
  if (latest === undefined) return 0
  if (latest.holder !== holder && latest.expiresAt > now) return undefined
  return latest.attempt + 1
}

export const make = (db: Db) => {
  const jobs = db.collection<JobDoc>(collections.backfillJobs)
  const pages = db.collection<PageDoc>(collections.backfillPages)
  const leases = db.collection<LeaseDoc>(collections.backfillLeases)

  const lease = (l: PageLease, now: number) =>
    run(async () => {
      const current = await leases.find({ jobId: l.jobId, page: l.page }, oneBatch).toArray()
      const attempt = nextAttempt(current, l.holder, now)
      if (attempt === undefined) return false
      const doc: LeaseDoc = { _id: `${l.jobId}/${l.page}/${attempt}`, jobId: l.jobId, page: l.page, attempt, holder: l.holder, expiresAt: l.expiresAt }
      if ((await orDuplicate(leases.insertOne(doc))) === "duplicate") return false
      // Older pages' leases too: a page is leased only once the one before it is finished.
      await leases.deleteMany({ jobId: l.jobId, $or: [{ page: { $lt: l.page } }, { page: l.page, attempt: { $lt: attempt } }] })
      return true
    })

  const finish = (p: PageProgress) =>
    run(async () => {
      const doc: PageDoc = {
        _id: `${p.jobId}/${p.page}`,
        jobId: p.jobId,
        page: p.page,
        cursor: p.cursor ?? null,
        counts: Object.entries(p.counts).map(([k, n]) => ({ k, n })),
        total: p.total ?? null,
        activeMs: p.activeMs ?? null,
        finishedAt: p.finishedAt
      }
      if ((await orDuplicate(pages.insertOne(doc))) === "duplicate") return false
      // The page before stays: a reader between these two calls must still find a last page.
      await pages.deleteMany({ jobId: p.jobId, page: { $lt: p.page - 1 } })
      return true
    })

  return BackfillJobs.of({
    create: (all) =>
      all.length === 0
        ? Effect.void
        : run(() =>
            duplicatesOf(() =>
              jobs.insertMany(
                all.map((j) => ({
                  _id: j.id,
                  definition: j.definition,
                  state: j.state,
                  waitUntil: j.waitUntil ?? null,
                  createdAt: j.createdAt,
                  updatedAt: j.updatedAt
                })),
                { ordered: false }
              )
            )
          ).pipe(Effect.asVoid),
    list: run(() => jobs.find({}, oneBatch).toArray()).pipe(
      Effect.map((docs) => docs.map(toJob).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)))
    ),
    setState: (ids, state, waitUntil, now, note) =>
      ids.length === 0
        ? Effect.void
        : run(() =>
            jobs.updateMany({ _id: { $in: [...new Set(ids)] } }, { $set: { state, waitUntil: waitUntil ?? null, note: note ?? null, updatedAt: now } })
          ).pipe(Effect.asVoid),
    progress: (ids) =>
      ids.length === 0
        ? Effect.succeed([])
        : run(() => pages.find({ jobId: { $in: [...new Set(ids)] } }, oneBatch).toArray()).pipe(
            Effect.map((docs) => {
              const last = new Map<string, PageDoc>()
              for (const d of docs) if ((last.get(d.jobId)?.page ?? -1) < d.page) last.set(d.jobId, d)
              return [...last.values()].map(toProgress)
            })
          ),
    lease,
    finish,
    remove: (ids) =>
      ids.length === 0
        ? Effect.void
        : run(async () => {
            const jobIds = [...new Set(ids)]
            await jobs.deleteMany({ _id: { $in: jobIds } })
            await pages.deleteMany({ jobId: { $in: jobIds } })
            await leases.deleteMany({ jobId: { $in: jobIds } })
          })
  })
}

export const layer = Layer.effect(BackfillJobs, Effect.map(MongoDb, make))
