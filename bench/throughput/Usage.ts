// What a phase cost: store operations (the private FerretDB's request counters), CPU of the
// service and of FerretDB (from /proc), and the service's peak RSS.
import type { FerretDb } from "./FerretDb.ts"
import { opsBetween } from "./FerretDb.ts"
import { cpuMeter, peakRssMb } from "./ProcessStats.ts"

export interface Usage {
  /** Undefined when the service does not use the private FerretDB (in-memory store). */
  readonly storeOps: ReturnType<typeof opsBetween> | undefined
  readonly serviceCpuMs: number | undefined
  readonly storeCpuMs: number | undefined
  readonly servicePeakRssMb: number | undefined
}

const orUndefined = <A>(read: () => A): A | undefined => {
  try {
    return read()
  } catch {
    return undefined
  }
}

/** Starts the meters; the returned function reads what was used since. */
export const meterUsage = async (servicePid: number, store: FerretDb | undefined): Promise<() => Promise<Usage>> => {
  const before = await store?.requests()
  const service = cpuMeter(servicePid)
  const storeCpu = store === undefined ? undefined : cpuMeter(store.pid)
  return async () => ({
    storeOps: store === undefined || before === undefined ? undefined : opsBetween(before, await store.requests()),
    serviceCpuMs: service(),
    storeCpuMs: storeCpu?.(),
    servicePeakRssMb: orUndefined(() => peakRssMb(servicePid))
  })
}
