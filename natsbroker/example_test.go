package natsbroker_test

import (
	"context"
	"fmt"
	"time"

	"github.com/trama-dev/trama/natsbroker"
	"github.com/trama-dev/trama/runner"
)

// A channel's address is the subject as is. Publishing needs a subject without wildcards, so this send
// fails before any connection is made (the example needs no server).
func ExampleMessenger() {
	m := natsbroker.New(natsbroker.Options{DefaultTimeout: time.Minute})
	defer m.Close()

	ch := runner.Channel{Source: "orders", Address: "orders.*", Protocol: "nats", URL: "nats://127.0.0.1:4222"}
	err := m.Send(context.Background(), ch, runner.Message{Payload: map[string]any{"orderId": "o-1"}})
	fmt.Println(err)
	// Output:
	// send on channel orders.* (source orders): the channel address "orders.*" is not a NATS subject: it has a wildcard ("*" or ">"); messages are published on a subject without wildcards
}
