import { Cause, Exit, Runtime } from "effect"

/**
 * Runs the app until SIGTERM or SIGINT, then interrupts it so every scoped resource is released
 * in reverse order (HTTP server, consumers, connections). A stop we asked for exits 0 — an
 * orchestrator reads anything else as a crash — while a failure exits non-zero.
 */
export const runMain = Runtime.makeRunMain(({ fiber, teardown }) => {
  let stopping = false
  const stop = () => {
    stopping = true
    fiber.interruptUnsafe()
  }
  process.once("SIGTERM", stop)
  process.once("SIGINT", stop)
  fiber.addObserver((exit) => {
    process.off("SIGTERM", stop)
    process.off("SIGINT", stop)
    const requested = stopping && Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
    teardown(exit, (code) => process.exit(requested ? 0 : code))
  })
})
