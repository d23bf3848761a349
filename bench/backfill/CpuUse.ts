// CPU use of the processes a backfill benchmark runs on one machine, from /proc: the service, the
// store, this process (both simulators and the bench) and the broker, and how busy the machine's
// cores were, so a figure reads as "CPU-bound" or not. The broker is the shared one: other work on
// it counts too.

const CLOCK_TICKS = 100

/** CPU seconds a process has used (0 when it is gone). */
export const cpuOf = async (pid: number | undefined): Promise<number> => {
  if (pid === undefined) return 0
  try {
    const stat = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]?.split(" ") ?? []
    return (Number(stat[11]) + Number(stat[12])) / CLOCK_TICKS
  } catch {
    return 0
  }
}

/** The first process whose command line matches `pattern` (pgrep -f). */
export const pidOf = async (pattern: string): Promise<number | undefined> => {
  const found = (await Bun.$`pgrep -f ${pattern}`.nothrow().text()).trim().split("\n")[0]
  return found === undefined || found === "" ? undefined : Number(found)
}

/** Busy and total jiffies of all cores together, from /proc/stat. */
const machineTicks = async () => {
  const cpu = (await Bun.file("/proc/stat").text()).split("\n")[0]!.split(/\s+/).slice(1).map(Number)
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0)
  const total = cpu.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

export interface CpuSample {
  readonly service: number
  readonly store: number
  readonly bench: number
  readonly broker: number
  readonly machine: { readonly busy: number; readonly total: number }
}

export interface CpuPids {
  /** The service's processes (replicas): their CPU is summed. */
  readonly service: ReadonlyArray<number>
  readonly store: number | undefined
  readonly broker: number | undefined
}

export const sampleCpu = async (pids: CpuPids): Promise<CpuSample> => {
  const usage = process.cpuUsage()
  return {
    service: (await Promise.all(pids.service.map(cpuOf))).reduce((a, b) => a + b, 0),
    store: await cpuOf(pids.store),
    bench: (usage.user + usage.system) / 1e6,
    broker: await cpuOf(pids.broker),
    machine: await machineTicks()
  }
}

/** CPU seconds per 1 000 records of each process between two samples, and the cores' busy share. */
export const cpuPerThousand = (before: CpuSample, after: CpuSample, records: number): string => {
  const per = (k: "service" | "store" | "bench" | "broker") => ((1000 * (after[k] - before[k])) / Math.max(1, records)).toFixed(2)
  const busy = (after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total)
  return `service ${per("service")}, FerretDB ${per("store")}, simulators ${per("bench")}, RabbitMQ ${per("broker")}; cores ${(100 * busy).toFixed(0)} % busy`
}
