// Loaded before the test files (bunfig.toml). Bun's default of 5 s per test and hook is short for
// suites that start brokers and servers on a busy 2-core machine. Seen not to reach every file of
// a full run, so the slow service tests also carry their own timeouts.
import { setDefaultTimeout } from "bun:test"
import { provisionServices } from "./ProvisionServices.ts"

setDefaultTimeout(30_000)
// Before any test file reads AMQP_URL/MONGO_URL.
await provisionServices()
