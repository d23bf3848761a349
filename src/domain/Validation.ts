// One validation entry point for both edges. It returns a typed Result, collects every broken
// field (not only the first) and never throws, whatever the input.
import { Predicate, Result, Schema, SchemaIssue } from "effect"
import { Business } from "./Business.ts"
import type { CommerceEntity } from "./CorrespondenceTable.ts"
import { dependencyRules } from "./DependencyRules.ts"
import { getPath } from "./Mapping.ts"
import { Purchase } from "./Purchase.ts"
import { User } from "./User.ts"
import { ValidationFailed, type ValidationIssue } from "./ValidationFailed.ts"
import { fieldRules, requiredFields } from "./ValidationRules.ts"

export interface EntityTypes {
  readonly user: User
  readonly business: Business
  readonly purchase: Purchase
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const ruleIssues = (entity: CommerceEntity, record: Readonly<Record<string, unknown>>, partial: boolean): Array<ValidationIssue> => {
  const issues: Array<ValidationIssue> = []
  if (!partial) {
    for (const path of requiredFields[entity]) {
      if (getPath(record, path) == null) issues.push({ path, rule: "required", message: "is required" })
    }
  }
  for (const rule of fieldRules[entity]) {
    const value = getPath(record, rule.path)
    // A null optional field is a clear (issue 9 #6), not a malformed value.
    if (value != null && !rule.check(value)) issues.push({ path: rule.path, rule: rule.rule, message: rule.message })
  }
  for (const rule of dependencyRules[entity]) issues.push(...rule(record))
  return issues
}

type Decoder = (input: unknown, options: { readonly errors: "all"; readonly onExcessProperty: "ignore" }) => Result.Result<unknown, Schema.SchemaError>

const decoders: Readonly<Record<CommerceEntity, Decoder>> = {
  user: Schema.decodeUnknownResult(User),
  business: Schema.decodeUnknownResult(Business),
  purchase: Schema.decodeUnknownResult(Purchase)
}

/** Structural issues the field rules do not already name (brands, enums, nested shapes). */
const schemaIssues = (failure: Schema.SchemaError, known: ReadonlyArray<ValidationIssue>): Array<ValidationIssue> => {
  const reported = new Set(known.map((i) => i.path))
  return formatter(failure.issue)
    .issues.map((i) => ({ path: (i.path ?? []).map(String).join("."), rule: "type", message: i.message }))
    .filter((i) => !reported.has(i.path))
}

const dedupe = (issues: ReadonlyArray<ValidationIssue>): Array<ValidationIssue> => {
  const seen = new Set<string>()
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.rule}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** Validates a whole commerce record and decodes it into its domain type. */
export const validate = <E extends CommerceEntity>(entity: E, input: unknown): Result.Result<EntityTypes[E], ValidationFailed> => {
  if (!Predicate.isObject(input) || Array.isArray(input)) {
    return Result.fail(new ValidationFailed({ entity, issues: [{ path: "", rule: "type", message: "must be an object" }] }))
  }
  const record = input as Readonly<Record<string, unknown>>
  const issues = ruleIssues(entity, record, false)
  const decoded = decoders[entity](record, { errors: "all", onExcessProperty: "ignore" })
  const all = dedupe([...issues, ...(Result.isFailure(decoded) ? schemaIssues(decoded.failure, issues) : [])])
  if (all.length > 0 || Result.isFailure(decoded)) return Result.fail(new ValidationFailed({ entity, issues: all }))
  return Result.succeed(decoded.success as EntityTypes[E])
}

/** Validates the fields a partial record carries (the CRM edge, after mapping to commerce fields). */
export const validateFields = (
  entity: CommerceEntity,
  fields: Readonly<Record<string, unknown>>
): Result.Result<Readonly<Record<string, unknown>>, ValidationFailed> => {
  const issues = dedupe(ruleIssues(entity, fields, true))
  return issues.length > 0 ? Result.fail(new ValidationFailed({ entity, issues })) : Result.succeed(fields)
}
