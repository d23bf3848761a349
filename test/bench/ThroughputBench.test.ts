// The throughput bench's own arithmetic: argument parsing, HubSpot call accounting, FerretDB
// counters and /proc readings. (The bench itself runs against real services: bun run bench:throughput.)
import { describe, expect, test } from "bun:test"
import { parseArgs } from "../../bench/throughput/Args.ts"
import { opsBetween, parseRequestCounters } from "../../bench/throughput/FerretDb.ts"
import { callStats, contactsRead } from "../../bench/throughput/HubSpotCalls.ts"
import { percentile } from "../../bench/throughput/Intake.ts"
import { cpuMs, peakRssMb } from "../../bench/throughput/ProcessStats.ts"
import type { LoggedRequest } from "../support/hubspot/AdminRoutes.ts"

const request = (method: string, path: string, status: number, body?: unknown): LoggedRequest => ({
  method,
  path,
  query: "",
  status,
  time: "",
  durationMs: 1,
  body
})

describe("bench arguments", () => {
  test("every count and duration has the issue's default and can be set", () => {
    const defaults = parseArgs([])
    expect([defaults.intakeSeconds, defaults.senders, defaults.eventsPerRequest, defaults.contacts, defaults.users, defaults.burst, defaults.budget]).toEqual([
      20, 10, 100, 5000, 5000, 10_000, 100
    ])
    expect(defaults.drainWaitSeconds).toBe(80)
    const small = parseArgs(["--contacts", "200", "--intake-seconds", "5", "--burst", "500", "--phases", "intake,budget"])
    expect([small.contacts, small.intakeSeconds, small.drainWaitSeconds, small.burst]).toEqual([200, 5, 20, 500])
    expect([...small.phases]).toEqual(["intake", "budget"])
  })

  test("unknown options, phases and non-positive numbers are refused", () => {
    expect(() => parseArgs(["--contact", "5"])).toThrow("unknown option --contact")
    expect(() => parseArgs(["--phases", "intake,nope"])).toThrow("unknown phase nope")
    expect(() => parseArgs(["--users", "0"])).toThrow("--users needs a positive number")
    expect(() => parseArgs(["--users"])).toThrow("cannot read --users")
  })
})

describe("HubSpot call accounting", () => {
  const log = [
    request("POST", "/crm/v3/objects/contacts/batch/read", 200, { inputs: [{ id: "1" }, { id: "2" }, { id: "3" }] }),
    request("GET", "/crm/v3/objects/contacts/4", 200),
    request("GET", "/crm/v3/objects/contacts/5", 404),
    request("POST", "/crm/v3/objects/contacts/batch/update", 429, { inputs: [{ id: "1" }, { id: "2" }] }),
    request("POST", "/crm/v3/objects/contacts/batch/update", 200, { inputs: [{ id: "1" }, { id: "2" }] })
  ]

  test("records per call count a batch body's inputs and a single-record call as one; 429s are counted apart", () => {
    const stats = callStats(log)
    expect(stats).toMatchObject({ calls: 4, records: 3 + 1 + 1 + 2, throttled: 1 })
    expect(stats.byEndpoint[0]).toEqual(["GET /crm/v3/objects/contacts/{id}", 2])
    expect(Object.fromEntries(stats.byEndpoint)).toMatchObject({
      "POST /crm/v3/objects/contacts/batch/read": 1,
      "POST /crm/v3/objects/contacts/batch/update": 1
    })
  })

  test("contacts read are those a successful single or batch read returned", () => {
    expect([...contactsRead(log)].sort()).toEqual(["1", "2", "3", "4"])
  })
})

describe("FerretDB counters", () => {
  const metrics = (find: number, hello: number) => `# HELP ferretdb_client_requests_total Requests
ferretdb_client_requests_total{command="find",opcode="OP_MSG"} ${find}
ferretdb_client_requests_total{command="insert",opcode="OP_MSG"} 7
ferretdb_client_requests_total{command="hello",opcode="OP_MSG"} ${hello}
ferretdb_client_requests_total{command="isMaster",opcode="OP_QUERY"} 2
ferretdb_client_responses_total{argument="unknown",command="find",opcode="OP_MSG",result="ok"} 99`

  test("requests are read per command, responses ignored", () => {
    expect(parseRequestCounters(metrics(3, 5))).toEqual({ find: 3, insert: 7, hello: 5, isMaster: 2 })
  })

  test("store operations are the data commands between two readings; handshakes and heartbeats are not", () => {
    const ops = opsBetween(parseRequestCounters(metrics(3, 5)), parseRequestCounters(metrics(13, 500)))
    expect(ops).toEqual({ total: 10, byCommand: [["find", 10]] })
  })
})

describe("process readings", () => {
  test("CPU time grows while this process works; peak RSS is read in MiB", () => {
    const before = cpuMs(process.pid)
    const until = performance.now() + 150
    let spin = 0
    while (performance.now() < until) spin++
    expect(spin).toBeGreaterThan(0)
    expect(cpuMs(process.pid) - before).toBeGreaterThanOrEqual(50)
    expect(peakRssMb(process.pid)).toBeGreaterThan(10)
  })

  test("percentiles pick the nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect([percentile(values, 50), percentile(values, 99), percentile([7], 99)]).toEqual([50, 99, 7])
  })
})
