// The shop users the backfill benches seed. Their ids sort before the "u-…" ones the shop
// allocates, so a commerce → CRM job's id range takes exactly them.
export const seededUser = (i: number) => `s-${String(i).padStart(7, "0")}`

export const seedUsers = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    id: seededUser(i),
    email: `shop${i}@bench.example.com`,
    firstName: `Shop${i}`,
    lastName: "User",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z"
  }))
