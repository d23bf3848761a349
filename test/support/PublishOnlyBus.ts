// A MessageBus that only publishes, to `onPublish`: for flows run by hand, where nothing consumes.
import { Effect } from "effect"
import { MessageBus } from "../../src/application/ports/MessageBus.ts"
import type { OutgoingMessage } from "../../src/application/Step.ts"

export const publishOnlyBus = (onPublish: (messages: ReadonlyArray<OutgoingMessage>) => void) =>
  MessageBus.of({
    publish: (messages) => Effect.sync(() => onPublish(messages)),
    consume: () => Effect.die("not consumed here"),
    deadLetters: () => Effect.die("not consumed here"),
    depths: Effect.succeed([]),
    replay: () => Effect.die("not replayed here"),
    ready: Effect.succeed(true),
    partitions: 1,
    assign: () => Effect.void,
    held: Effect.succeed([0])
  })
