// Object mothers: valid records with overridable fields.
export const aUser = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: "u1",
  email: "ada@example.com",
  firstName: "Ada",
  lastName: "Lovelace",
  phone: "+442071838750",
  address: { line1: "12 St James's Square", city: "London", postalCode: "SW1Y 4JH", country: "GB" },
  updatedAt: "2024-05-01T10:00:00.000Z",
  ...overrides
})

export const aBusiness = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: "b1",
  name: "Acme GmbH",
  domain: "acme.example.com",
  vatNumber: "DE123456789",
  country: "DE",
  city: "Berlin",
  updatedAt: "2024-05-01T10:00:00.000Z",
  ...overrides
})

export const aPurchase = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: "p1",
  reference: "#1001",
  totalMinor: 4999,
  currency: "EUR",
  status: "paid",
  placedAt: "2024-05-01T09:00:00.000Z",
  updatedAt: "2024-05-01T10:00:00.000Z",
  ...overrides
})
