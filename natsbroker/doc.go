// Package natsbroker is a runner.Messenger over NATS: the AsyncAPI steps of an Arazzo 1.1 workflow whose
// source description's server speaks the "nats" protocol send and receive through it.
//
// # Subjects
//
// An AsyncAPI NATS channel's address is the NATS subject, used as is: the address "orders.placed" is the
// subject "orders.placed" (the NATS bindings of AsyncAPI add nothing to it). An address NATS cannot use is
// an error naming it: an empty one, one with white space, an empty token ("orders..placed"), one whose
// parameters were not filled in ("orders.{orderId}"), and, on send, a wildcard token ("*" or ">"). A
// receive step may use wildcards, as a NATS subscription does.
//
// # JetStream or core NATS
//
// Each Send and Receive asks the server which JetStream stream, if any, stores the subject:
//
//   - When a stream covers it, Send publishes through JetStream and returns once the stream has
//     acknowledged the message, so a step that succeeded has a durable message behind it. Receive reads
//     the stream with an ordered consumer that starts at Receive.Since (DeliverByStartTime, filtered on
//     the subject): a message published after the step started but before the consumer existed is still
//     received, and the consumer reads nothing older. Message.ID is the message's stream sequence. The
//     consumer lives in the server's memory only while Receive waits; it is deleted when Receive returns.
//     Since is compared with the server's clock, so the runner's and the server's clocks must agree.
//   - Without a stream (or on a server without JetStream) Send publishes on core NATS and flushes, so the
//     server has the message when Send returns; core NATS keeps nothing, so a message nobody is subscribed
//     to is dropped and Send cannot tell. Receive subscribes and waits: messages published before the
//     subscription exists are lost, so the receiving step must be waiting before its peer sends.
//     Message.ID is empty.
//
// A receive step with a zero Receive.Since gets the messages published after Receive subscribed.
//
// # Payloads and headers
//
// A payload whose content type is application/json, a +json type, or empty (the AsyncAPI default) is sent
// as JSON (json.Number values keep their digits); otherwise a string or []byte payload is sent as its
// bytes. Headers are the message's headers plus Content-Type. A received payload is decoded the same way,
// JSON numbers as json.Number; a received header's value is its first value. Receive.Header (for polling
// transports) is not used.
//
// # Connections
//
// A Messenger opens one connection per server URL on first use and keeps it (nats.go reconnects by
// itself); Close closes them. Errors name the server without the user and password of its URL.
package natsbroker
