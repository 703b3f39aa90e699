// Package store is trama's persistence and job-queue boundary: the durable inbox of Okta event-hook
// deliveries and System Log events, the queue that turns each event into workflow runs and executes them,
// and the run history people inspect.
//
// Store is implemented by store/sqlite (the default, embedded) and, later, store/postgres (several
// replicas on one database). Both pass the conformance suite in store/storetest, so the receiver, the
// workers, the HTTP API and the CLI are written once against this package and never see the queue's
// implementation.
//
// The contract in one paragraph: an event is identified by its Okta uuid forever. Ingesting stores the
// delivery and its events and enqueues dispatch work for the events never seen before, all in one
// transaction, so an acknowledged delivery is never lost and a redelivered event never runs twice.
// Dispatching an event creates its runs (unique per event, trigger and replay number) and enqueues one
// execute job per new run in one transaction. Executing a run checkpoints each finished step, so a run
// cut short by a crash resumes after its last finished step.
package store
