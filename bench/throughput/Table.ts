// The bench's printed result: one row per figure, beside its target or baseline.
export interface Row {
  readonly section: string
  readonly measure: string
  readonly value: string
  readonly target: string
}

export const row = (section: string, measure: string, value: string, target = ""): Row => ({ section, measure, value, target })

/** A number with `digits` decimals and thousands separators; "n/a" for what was not measured. */
export const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || !Number.isFinite(n) ? "n/a" : n.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits })

export const perEach = (total: number | undefined, count: number, digits = 1): string => (count > 0 && total !== undefined ? fmt(total / count, digits) : "n/a")

export const printTable = (rows: ReadonlyArray<Row>): void => {
  const header: Row = { section: "phase", measure: "measure", value: "value", target: "target / baseline" }
  const all = [header, ...rows]
  const width = (key: keyof Row) => Math.max(...all.map((r) => r[key].length))
  const widths = { section: width("section"), measure: width("measure"), value: width("value") }
  const line = (r: Row) => `${r.section.padEnd(widths.section)} | ${r.measure.padEnd(widths.measure)} | ${r.value.padStart(widths.value)} | ${r.target}`
  console.log(line(header))
  console.log("-".repeat(line(header).length + 20))
  for (const r of rows) console.log(line(r))
}
