// CPU time and peak memory of a process from /proc, so the service is measured without touching it.
import { readFileSync } from "node:fs"

const ticksPerSecond = (() => {
  const out = Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()
  const ticks = Number(out)
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100
})()

/** User plus system CPU the process has used so far, in ms. */
export const cpuMs = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  // The command name may hold spaces: fields are counted after its closing parenthesis (field 3 on).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
}

/** The process's peak resident set (VmHWM), in MiB. */
export const peakRssMb = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmHWM:"))
  return Number(line?.split(/\s+/)[1] ?? Number.NaN) / 1024
}

/** CPU used between two readings; undefined when the process is gone. */
export const cpuMeter = (pid: number): (() => number | undefined) => {
  const start = cpuMs(pid)
  return () => {
    try {
      return cpuMs(pid) - start
    } catch {
      return undefined
    }
  }
}

/** CPU the whole machine spent busy (all cores, everything but idle and I/O wait), in ms, from /proc/stat. */
export const machineBusyMs = (): number => {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
  return ((user + nice + system + irq + softirq + steal) * 1000) / ticksPerSecond
}
