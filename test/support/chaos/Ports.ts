// Free loopback ports and waiting for one to accept connections.

export const freePort = (): number => {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
  const port = server.port
  server.stop(true)
  return port
}

export const portOpen = (port: number): Promise<boolean> =>
  Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
    (socket) => {
      socket.end()
      return true
    },
    () => false
  )

export const waitForPort = async (port: number, ms: number): Promise<void> => {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await portOpen(port)) return
    await Bun.sleep(100)
  }
  throw new Error(`nothing listens on port ${port} after ${ms} ms`)
}
