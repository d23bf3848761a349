import * as InMemoryCommerceApi from "../../src/adapters/memory/InMemoryCommerceApi.ts"
import { commerceApiContract } from "../contract/CommerceApi.contract.ts"

commerceApiContract("in-memory", (seed) => InMemoryCommerceApi.layer(seed))
