// Package asyncapi loads the AsyncAPI source descriptions of an Arazzo 1.1
// workflow, so that a step can name an operation by operationId or a channel
// by channelPath ("#/channels/okta~1event-hook~1delivery").
//
// It reads AsyncAPI 2.0 to 2.6 and 3.0, in YAML or JSON, into one model: the
// servers, the channels with the messages they carry, and the operations. The
// two major versions say the same things in different places, and Load hides
// that:
//
//   - 2.x keys channels by their address and puts at most two operations,
//     publish and subscribe, inside each channel; an operation is known only
//     by its optional operationId. 3.0 keys channels by an id, gives them an
//     address, and lists operations apart, keyed by their id, each pointing
//     at its channel with a $ref.
//   - 2.x servers have a url; 3.0 servers have host, pathname and protocol,
//     from which Server.URL is built.
//   - 2.x actions are publish/subscribe, from the point of view of the
//     application's clients; 3.0 actions are send/receive, from the point of
//     view of the application. Operation.Action keeps the word the
//     description uses, because converting one into the other means
//     guessing whose point of view the author took — a well-known source of
//     mistakes in 2.x documents.
//
// # What is resolved
//
// Message payload and headers schemas are returned as Go values
// (map[string]any, []any, string, int, float64, bool, nil) with every local
// $ref replaced by what it names, so that a caller can validate or generate a
// message without knowing the document. A $ref met again while it is being
// expanded (a recursive schema) is left in place as {"$ref": "…"}. Keys
// written next to a $ref are laid over the referenced schema. Values under
// example, examples, const, default and enum are data, not schemas: a "$ref"
// in them is kept as written.
//
// Only local references ("#/…") are read. A description that points into
// another file is rejected with an error that says so, because fetching
// whatever a description names is a decision for the caller, not the loader.
//
// # Why a small limit on depth and expansion
//
// Descriptions come from workflow authors and from the network. YAML aliases
// and $refs both let a few lines stand for an exponential amount of data (the
// "billion laughs"), and recursion that follows them can exhaust the stack. So
// a schema nested more than 200 levels deep, more than 200,000 values
// produced by expansion, or more than 10,000 $refs followed in one document
// make Load fail with an error naming the limit, instead of running out of
// memory. Real descriptions are far below these: Okta's event hooks
// description expands to about 300 values and follows 19 $refs.
//
// Message traits are applied to the fields this package reads (name,
// contentType, headers, correlationId) one field at a time, not with a deep
// merge: in 3.0 the message's own field wins over its traits, in 2.x the
// traits win, as JSON Merge Patch in the specification implies.
package asyncapi
