// The vocabulary lint flags HubSpot's words in the domain and the application, and only there.
import { afterAll, describe, expect, test } from "bun:test"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { checkTree, findVocabulary } from "../../scripts/lint-vocabulary.ts"

// What the Crm port and the application said before the port became vendor-neutral.
const offending = [
  'import { Schema } from "effect"',
  'export const policy = Schema.Literals(["TEN_SECONDLY_ROLLING", "SECONDLY", "DAILY"])',
  "export interface UpsertInput { readonly idProperty: string }",
  'const UNANSWERED = new Set(["MISSING_RESULT", "NO_RESULT"])',
  "export const locked = (status: number) => status === 423 || status === 477",
  "export const hubspotTypeOf = (t: string) => t",
  'export const stamp = "hs_lastmodifieddate"',
  'const category = { category: "VALIDATION_ERROR" }'
].join("\n")

const innocent = [
  "// HubSpot's TEN_SECONDLY_ROLLING 429 becomes CrmThrottled; DAILY a CrmQuotaExhausted (423, 477).",
  "/** Retries after HubSpot's hubspotType idProperty MISSING_RESULT */",
  "export const limit = 4230 + 1477 + 0.423",
  'export const daily = "DAILY_CAP" + "daily"',
  "export const dailyRemaining = 3",
  'export const re = /"[0-9]+"/g.test("x") // a regex with quotes is not a string',
  "export const crmId = `${limit} in the CRM`"
].join("\n")

describe("lint-vocabulary", () => {
  test("flags each HubSpot word on its line, in code and in strings", () => {
    const hits = findVocabulary("src/application/ports/Crm.ts", offending)
    expect(hits.map((h) => [h.line, h.word])).toEqual([
      [2, "TEN_SECONDLY_ROLLING"],
      [2, "SECONDLY"],
      [2, "DAILY"],
      [3, "idProperty"],
      [4, "MISSING_RESULT"],
      [4, "NO_RESULT"],
      [5, "423"],
      [5, "477"],
      [6, "hubspotTypeOf"],
      [7, "hs_lastmodifieddate"],
      [8, "VALIDATION_ERROR"]
    ])
    expect(hits.every((h) => h.why.length > 0)).toBe(true)
  })

  test("leaves comments, other numbers, other words and template text alone", () => {
    expect(findVocabulary("src/domain/Anything.ts", innocent)).toEqual([])
  })

  test("HubSpot property names are data in the correspondence table, and only there", () => {
    const source = 'row("user", "hs_object_id", "crmId")'
    expect(findVocabulary("src/domain/CorrespondenceTable.ts", source)).toEqual([])
    expect(findVocabulary("src/domain/Mapping.ts", source).map((h) => h.word)).toEqual(["hs_object_id"])
  })

  test("the domain and the application are clean", () => {
    expect(checkTree(process.cwd(), ["src/domain", "src/application"])).toEqual([])
  })

  const root = mkdtempSync(join(tmpdir(), "lint-vocabulary-"))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  test("the script exits 1 and names file:line for an offending fixture, 0 for a clean one", async () => {
    mkdirSync(join(root, "bad", "ports"), { recursive: true })
    mkdirSync(join(root, "good"), { recursive: true })
    writeFileSync(join(root, "bad", "ports", "Crm.ts"), offending)
    writeFileSync(join(root, "good", "Clean.ts"), innocent)
    const script = join(process.cwd(), "scripts", "lint-vocabulary.ts")
    const run = (dir: string) => Bun.spawnSync(["bun", script, dir], { cwd: root, stdout: "pipe", stderr: "pipe" })
    const bad = run("bad")
    expect(bad.exitCode).toBe(1)
    expect(bad.stderr.toString()).toContain('bad/ports/Crm.ts:3: "idProperty"')
    const good = run("good")
    expect(good.exitCode).toBe(0)
  })
})
