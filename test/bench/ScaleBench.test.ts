// The scale bench's arguments and its machine CPU reading. (The bench itself runs against real
// services: bun run bench:scale.)
import { describe, expect, test } from "bun:test"
import { parseScaleArgs } from "../../bench/scale/Args.ts"
import { busiestWindow } from "../../bench/scale/Phases.ts"
import { machineBusyMs } from "../../bench/throughput/ProcessStats.ts"

describe("scale bench arguments", () => {
  test("sizes and replica counts have defaults and can be set", () => {
    const defaults = parseScaleArgs([])
    expect([defaults.contacts, defaults.users, defaults.replicas, defaults.budget]).toEqual([2000, 2000, [1, 2, 3], 100])
    expect([...defaults.phases]).toEqual(["scale", "budget"])
    const small = parseScaleArgs(["--contacts", "300", "--users", "200", "--replicas", "1, 2", "--phases", "budget"])
    expect([small.contacts, small.users, small.replicas, [...small.phases]]).toEqual([300, 200, [1, 2], ["budget"]])
  })

  test("unknown options and phases, bad replica counts and non-positive sizes are refused", () => {
    expect(() => parseScaleArgs(["--replica", "2"])).toThrow("unknown option --replica")
    expect(() => parseScaleArgs(["--phases", "scale,nope"])).toThrow("unknown phase nope")
    expect(() => parseScaleArgs(["--replicas", "1,0"])).toThrow("--replicas needs a positive number")
    expect(() => parseScaleArgs(["--replicas", "1,9"])).toThrow("counts from 1 to 8")
    expect(() => parseScaleArgs(["--contacts", "-5"])).toThrow("--contacts needs a positive number")
    expect(() => parseScaleArgs(["--users"])).toThrow("cannot read --users")
  })
})

test("the machine's busy CPU grows while this process spins", () => {
  const before = machineBusyMs()
  const until = performance.now() + 150
  while (performance.now() < until) Math.sqrt(Math.random())
  expect(machineBusyMs() - before).toBeGreaterThan(50)
})

test("the busiest window counts requests less than the window apart, as a rolling limit does", () => {
  expect(busiestWindow([], 10_000)).toBe(0)
  expect(busiestWindow([0, 1_000, 9_999, 10_000, 10_500, 30_000], 10_000)).toBe(4)
  expect(busiestWindow([5_000, 0, 2_000, 20_000, 21_000], 10_000)).toBe(3)
})
