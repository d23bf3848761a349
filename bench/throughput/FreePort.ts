// A free loopback port, found by letting the OS pick one and releasing it.
export const freePort = (): number => {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() })
  const port = probe.port as number
  probe.stop(true)
  return port
}
