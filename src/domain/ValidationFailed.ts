import { Schema } from "effect"

export const ValidationIssue = Schema.Struct({
  /** Dot path of the broken field ("address.state"); "" for the record itself. */
  path: Schema.String,
  /** Name of the rule that failed ("email", "maxLength", "stateRequiredForCountry", …). */
  rule: Schema.String,
  message: Schema.String
})
export type ValidationIssue = typeof ValidationIssue.Type

/** A record broke one or more rules. Never retryable: the same input fails the same way. */
export class ValidationFailed extends Schema.TaggedError<ValidationFailed>()("ValidationFailed", {
  entity: Schema.String,
  issues: Schema.Array(ValidationIssue)
}) {
  readonly isRetryable = false
  override get message(): string {
    return `${this.entity} is invalid: ${this.issues.map((i) => `${i.path || "(record)"} [${i.rule}] ${i.message}`).join("; ")}`
  }
}
