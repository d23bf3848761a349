// Loaded before every test file (bunfig.toml): service suites start servers and brokers, so the
// default 5 s per test is too short on a busy 2-core machine. Hooks take their own timeouts.
import { setDefaultTimeout } from "bun:test"

setDefaultTimeout(30_000)
