// Keeps HubSpot's vocabulary out of src/domain and src/application, so a second CRM needs only an
// adapter: 429 policy names, the 423/477 statuses, `idProperty`, HubSpot's error categories, and
// `hubspot` in identifiers. Comments may name HubSpot (they explain why); code and strings may not.
// HubSpot property names (hs_*) are data in the correspondence table and allowed there only.
//
//   bun scripts/lint-vocabulary.ts [dir...]   (default: src/domain src/application; exit 1 on a hit)
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"

export interface Hit {
  readonly file: string
  readonly line: number
  readonly word: string
  readonly why: string
}

type Kind = "code" | "string" | "comment"
interface Segment {
  readonly kind: Kind
  readonly text: string
  /** 1-based line of the segment's first character. */
  readonly line: number
}

// A `/` after one of these (or a keyword) starts a regex literal, not a division.
const REGEX_AFTER = new Set(["", "(", ",", "=", ":", "[", "!", "&", "|", "?", "{", "}", ";", "+", "-", "*", "%", "<", ">", "~", "^"])
const REGEX_KEYWORDS = /(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/

/** Splits TypeScript source into code, string (and regex) and comment segments. */
export const segments = (source: string): Array<Segment> => {
  const out: Array<Segment> = []
  let line = 1
  let start = 0
  let startLine = 1
  let i = 0
  const push = (kind: Kind, end: number) => {
    if (end > start) out.push({ kind, text: source.slice(start, end), line: startLine })
    start = end
    startLine = line
  }
  const advance = (to: number) => {
    for (; i < to && i < source.length; i++) if (source[i] === "\n") line++
  }
  // Skips a quoted literal opened at `i`; template substitutions are scanned as code.
  const skipQuoted = (quote: string) => {
    advance(i + 1)
    while (i < source.length && source[i] !== quote) {
      if (source[i] === "\\") advance(i + 2)
      else if (quote === "`" && source[i] === "$" && source[i + 1] === "{") {
        advance(i + 2)
        let depth = 1
        while (i < source.length && depth > 0) {
          const c = source[i]
          if (c === "{") depth++
          else if (c === "}") depth--
          if (c === '"' || c === "'" || c === "`") skipQuoted(c)
          else advance(i + 1)
        }
      } else advance(i + 1)
    }
    advance(i + 1)
  }
  const previousCode = () => source.slice(start, i).trimEnd()
  while (i < source.length) {
    const c = source[i]
    const next = source[i + 1]
    if (c === "/" && next === "/") {
      push("code", i)
      const end = source.indexOf("\n", i)
      advance(end === -1 ? source.length : end)
      push("comment", i)
    } else if (c === "/" && next === "*") {
      push("code", i)
      const end = source.indexOf("*/", i + 2)
      advance(end === -1 ? source.length : end + 2)
      push("comment", i)
    } else if (c === '"' || c === "'" || c === "`") {
      push("code", i)
      skipQuoted(c)
      push("string", i)
    } else if (c === "/" && (REGEX_AFTER.has(previousCode().slice(-1)) || REGEX_KEYWORDS.test(previousCode()))) {
      push("code", i)
      advance(i + 1)
      let inClass = false
      while (i < source.length && source[i] !== "\n" && (inClass || source[i] !== "/")) {
        if (source[i] === "\\") advance(i + 2)
        else {
          if (source[i] === "[") inClass = true
          else if (source[i] === "]") inClass = false
          advance(i + 1)
        }
      }
      advance(i + 1)
      push("string", i)
    } else advance(i + 1)
  }
  push("code", i)
  return out
}

interface Rule {
  readonly kinds: ReadonlyArray<Kind>
  readonly pattern: RegExp
  readonly why: string
  /** Files (relative, forward slashes) where the rule does not apply. */
  readonly allowedIn?: ReadonlyArray<string>
}

const rules: ReadonlyArray<Rule> = [
  { kinds: ["code", "string"], pattern: /\b(?:TEN_SECONDLY_ROLLING|SECONDLY)\b/g, why: "a HubSpot 429 policy name: say throttled (CrmThrottled)" },
  { kinds: ["string"], pattern: /^DAILY$/g, why: "HubSpot's DAILY 429 policy: say quota exhausted (CrmQuotaExhausted)" },
  { kinds: ["code", "string"], pattern: /\b(?:idProperty|policyName)\b/g, why: "HubSpot's request/answer field: the adapter knows it" },
  {
    kinds: ["code", "string"],
    pattern: /\b(?:MISSING_RESULT|NO_RESULT|VALIDATION_ERROR|OBJECT_NOT_FOUND|INVALID_EMAIL|PARTIAL_FAILURE)\b/g,
    why: "a HubSpot error category: use ItemOutcome's `retryable` and the CrmError reasons"
  },
  { kinds: ["code"], pattern: /(?<![\w$.])(?:423|477)(?![\w$.])/g, why: "a HubSpot-only status (locked, migrating): say transient with retryAfterMs" },
  { kinds: ["code"], pattern: /[A-Za-z_$][\w$]*/g, why: "`hubspot` in an identifier: name the role (crm), not the vendor" },
  {
    kinds: ["string"],
    pattern: /\bhs_[a-z0-9_]+/g,
    why: "a HubSpot property name outside the correspondence table",
    allowedIn: ["src/domain/CorrespondenceTable.ts"]
  }
]

const IDENTIFIER_RULE = rules[5]

/** Every use of HubSpot vocabulary in one file's source. */
export const findVocabulary = (file: string, source: string): Array<Hit> => {
  const hits: Array<Hit> = []
  for (const segment of segments(source)) {
    // Quotes and slashes stay in string segments: match the literal's content.
    const text = segment.kind === "string" ? segment.text.slice(1, segment.text.endsWith(segment.text[0] ?? "") ? -1 : undefined) : segment.text
    for (const rule of rules) {
      if (!rule.kinds.includes(segment.kind) || rule.allowedIn?.includes(file)) continue
      for (const match of text.matchAll(rule.pattern)) {
        if (rule === IDENTIFIER_RULE && !/hubspot/i.test(match[0])) continue
        const offset = (segment.kind === "string" ? 1 : 0) + match.index
        const line = segment.line + (segment.text.slice(0, offset).match(/\n/g)?.length ?? 0)
        hits.push({ file, line, word: match[0], why: rule.why })
      }
    }
  }
  return hits
}

const sourceFiles = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return /\.(?:ts|tsx|mts|cts)$/.test(name) ? [path] : []
  })

/** Every hit under `dirs`, with paths relative to `root`. */
export const checkTree = (root: string, dirs: ReadonlyArray<string>): Array<Hit> =>
  dirs.flatMap((dir) => sourceFiles(join(root, dir)).flatMap((path) => findVocabulary(relative(root, path).split("\\").join("/"), readFileSync(path, "utf8"))))

if (import.meta.main) {
  const dirs = process.argv.slice(2)
  const hits = checkTree(process.cwd(), dirs.length > 0 ? dirs : ["src/domain", "src/application"])
  for (const hit of hits) console.error(`${hit.file}:${hit.line}: "${hit.word}" is ${hit.why}`)
  if (hits.length > 0) {
    console.error(`lint-vocabulary: ${hits.length} use(s) of HubSpot vocabulary outside src/adapters/hubspot`)
    process.exit(1)
  }
  console.log("lint-vocabulary: no HubSpot vocabulary in the domain or the application")
}
