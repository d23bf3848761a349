import { Cause, Exit, Runtime } from "effect"

/**
 * Runs the app until SIGTERM or SIGINT, then interrupts it so every scoped resource is released
 * in reverse order (HTTP server, consumers, connections). A stop we asked for exits 0 — an
 * orchestrator reads anything else as a crash — while a failure exits non-zero. The handlers stay
 * installed until exit: a second signal during shutdown must not kill the process half-way.
 */
export const runMain = Runtime.makeRunMain(({ fiber, teardown }) => {
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    fiber.interruptUnsafe()
  }
  process.on("SIGTERM", stop)
  process.on("SIGINT", stop)
  fiber.addObserver((exit) => {
    const requested = stopping && Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
    teardown(exit, (code) => process.exit(requested ? 0 : code))
  })
})
