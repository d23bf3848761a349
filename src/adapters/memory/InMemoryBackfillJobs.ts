// Backfill jobs in process memory, with the same lease and page rules as the store's.
import { Effect, Layer } from "effect"
import { type BackfillJob, BackfillJobs, type PageLease, type PageProgress } from "../../application/ports/BackfillJobs.ts"

export const make = Effect.sync(() => {
  const jobs = new Map<string, BackfillJob>()
  const leases = new Map<string, PageLease>()
  const pages = new Map<string, PageProgress>()
  const pageKey = (jobId: string, page: number) => `${jobId}/${page}`
  return BackfillJobs.of({
    create: (all) =>
      Effect.sync(() => {
        for (const job of all) if (!jobs.has(job.id)) jobs.set(job.id, job)
      }),
    list: Effect.sync(() => [...jobs.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))),
    setState: (ids, state, waitUntil, now, note) =>
      Effect.sync(() => {
        for (const id of ids) {
          const job = jobs.get(id)
          if (job === undefined) continue
          const { note: _, ...rest } = job
          jobs.set(id, { ...rest, state, waitUntil, updatedAt: now, ...(note === undefined ? {} : { note }) })
        }
      }),
    progress: (ids) =>
      Effect.sync(() =>
        [...new Set(ids)].flatMap((id) => {
          const mine = [...pages.values()].filter((p) => p.jobId === id)
          const last = mine.reduce<PageProgress | undefined>((best, p) => (best === undefined || p.page > best.page ? p : best), undefined)
          return last === undefined ? [] : [last]
        })
      ),
    lease: (lease, now) =>
      Effect.sync(() => {
        const key = pageKey(lease.jobId, lease.page)
        const current = leases.get(key)
        if (current !== undefined && current.holder !== lease.holder && current.expiresAt > now) return false
        leases.set(key, lease)
        return true
      }),
    finish: (progress) =>
      Effect.sync(() => {
        const key = pageKey(progress.jobId, progress.page)
        if (pages.has(key)) return false
        pages.set(key, progress)
        leases.delete(key)
        return true
      }),
    remove: (ids) =>
      Effect.sync(() => {
        const gone = new Set(ids)
        for (const id of gone) jobs.delete(id)
        for (const map of [leases, pages]) for (const [key, value] of map) if (gone.has(value.jobId)) map.delete(key)
      })
  })
})

export const layer = Layer.effect(BackfillJobs, make)
