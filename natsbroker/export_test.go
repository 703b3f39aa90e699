package natsbroker

// OnSubscribed makes m call f each time Receive starts listening on a subject, so a test can send once
// the receiver is listening instead of sleeping.
func OnSubscribed(m *Messenger, f func(subject string)) { m.subscribed = f }
