// Every store-backed port, in memory when no MONGO_URL is set (embedded mode, tests), otherwise on
// the process's one shared Mongo connection; the budget's liveness of that connection comes along.
import { Layer, Option } from "effect"
import type { BudgetConfig } from "../../application/BudgetPolicy.ts"
import * as InMemoryBackfillJobs from "../memory/InMemoryBackfillJobs.ts"
import * as InMemoryIdLinks from "../memory/InMemoryIdLinks.ts"
import * as InMemoryObjectLeases from "../memory/InMemoryObjectLeases.ts"
import * as InMemoryParkedItems from "../memory/InMemoryParkedItems.ts"
import * as InMemoryRateBudget from "../memory/InMemoryRateBudget.ts"
import * as InMemoryReplicaMembership from "../memory/InMemoryReplicaMembership.ts"
import * as InMemorySnapshots from "../memory/InMemorySnapshots.ts"
import * as InMemoryWebhookInbox from "../memory/InMemoryWebhookInbox.ts"
import * as InMemoryWriteLedger from "../memory/InMemoryWriteLedger.ts"
import * as MongoBackfillJobs from "../mongo/MongoBackfillJobs.ts"
import * as MongoConnection from "../mongo/MongoConnection.ts"
import * as MongoIdLinks from "../mongo/MongoIdLinks.ts"
import * as MongoObjectLeases from "../mongo/MongoObjectLeases.ts"
import * as MongoParkedItems from "../mongo/MongoParkedItems.ts"
import * as MongoRateBudget from "../mongo/MongoRateBudget.ts"
import * as MongoReplicaMembership from "../mongo/MongoReplicaMembership.ts"
import * as MongoSnapshots from "../mongo/MongoSnapshots.ts"
import * as MongoWebhookInbox from "../mongo/MongoWebhookInbox.ts"
import * as MongoWriteLedger from "../mongo/MongoWriteLedger.ts"

const inMemory = (budget: BudgetConfig) =>
  Layer.mergeAll(
    InMemoryWebhookInbox.layer,
    InMemorySnapshots.layer,
    InMemoryIdLinks.layer,
    InMemoryWriteLedger.layer,
    InMemoryObjectLeases.layer,
    InMemoryParkedItems.layer,
    InMemoryBackfillJobs.layer,
    InMemoryReplicaMembership.layer,
    InMemoryRateBudget.layer(budget)
  )

const onMongo = (options: MongoConnection.MongoOptions, budget: BudgetConfig) =>
  Layer.mergeAll(
    MongoWebhookInbox.layerOnDb,
    MongoSnapshots.layer,
    MongoIdLinks.layer,
    MongoWriteLedger.layer,
    MongoObjectLeases.layer,
    MongoParkedItems.layer,
    MongoBackfillJobs.layer,
    MongoReplicaMembership.layer,
    MongoRateBudget.layerOnDb(budget)
  ).pipe(Layer.provideMerge(MongoConnection.dbLayer(options)))

export const storeLayers = (mongo: Option.Option<MongoConnection.MongoOptions>, budget: BudgetConfig) =>
  Option.match(mongo, { onNone: () => inMemory(budget), onSome: (options) => onMongo(options, budget) })
