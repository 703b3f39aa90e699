// Package backfill polls Okta's System Log for the event types trama's triggers are bound to and feeds
// what it finds into the same inbox as event-hook deliveries. An event's uuid de-duplicates it there, so
// an event Okta failed to deliver by hook still runs, and an event that arrives both ways runs once.
//
// Polling follows Okta's polling request: since set, until unset, ascending order. Such a request always
// answers with a rel="next" link, even on an empty page, and following that link later returns the
// events persisted since. The poller stores the link it will follow next as its cursor, in the same
// transaction as the events of the page that produced it, so a crash between pages neither skips nor
// re-runs an event.
package backfill
