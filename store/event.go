package store

import (
	"encoding/json"
	"time"

	"github.com/trama-dev/trama/okta"
)

// Source says how an event first reached trama.
type Source string

const (
	// SourceHook is an event delivered by an Okta event hook.
	SourceHook Source = "hook"
	// SourcePoll is an event fetched by System Log polling (backfill).
	SourcePoll Source = "poll"
)

// Event is a stored System Log event.
type Event struct {
	UUID       string
	Type       string
	Published  time.Time
	ReceivedAt time.Time
	Source     Source
	// Replays is the number of the latest replay; 0 until the event is replayed.
	Replays int
	// Duplicates counts how many times the event arrived again after it was stored.
	Duplicates int
	// Dispatched is the highest replay number whose dispatch finished (-1 while the original arrival
	// waits for dispatch). DispatchError is why the latest dispatch failed, if it did.
	Dispatched    int
	DispatchError string
	// Runs counts the event's runs, replays included; Skipped are the triggers that matched its type
	// but started no run at its latest dispatch, with why.
	Runs    int
	Skipped []Skip
	// User is the Okta user the event is about (the card's Okta User), recorded when the event is stored
	// (NewEvent.User); empty for events about no user.
	User EventUser
	// DeliveryIDs lists the deliveries that brought the event, oldest first. Set by GetEvent only.
	DeliveryIDs []string
	// Headers are the (masked) request headers of the first delivery that brought the event. Set by
	// GetEvent only; nil for a polled event.
	Headers map[string][]string
	// Payload is the whole LogEvent as JSON. Set by GetEvent only, so listings stay small.
	Payload json.RawMessage
}

// EventUser is the Okta user an event is about: the first target of type User, as the card's Okta
// User shows it.
type EventUser struct {
	ID string `json:"id"`
	// Login is the user's alternateId in lower case, as the store keeps it for lookups.
	Login string `json:"login"`
}

// UserOfTarget is the user a LogEvent is about, given its target member as JSON (nil when it has none):
// the first target of type User, as the card that dispatch builds shows it (okta.UserTargetJSON). The
// receivers read it when an event arrives, so the event is stored whole once.
func UserOfTarget(target json.RawMessage) EventUser {
	u, _ := okta.UserTargetJSON(target)
	return EventUser{ID: u.ID, Login: u.AlternateID}
}

// EventFilter selects events for ListEvents, newest first. Every field set must match.
type EventFilter struct {
	// Type, when set, keeps only events of that eventType.
	Type string
	// Source, when set, keeps only events that first arrived that way.
	Source Source
	// User keeps the events about one Okta user: its id, or its login in any case. Dispatch records an
	// event's user, so events no trigger listens to are found by user only once replayed.
	User string
	// Since and Until bound the events' published time (the card's Date and Time): Since inclusive,
	// Until exclusive; zero means unbounded.
	Since, Until time.Time
	// Outcome keeps the events with one outcome (see EventOutcomes); "" keeps all.
	Outcome EventOutcome
	Page
}

// EventOutcome is what became of an event, for EventFilter.
type EventOutcome string

const (
	// OutcomeRan keeps events that started at least one run.
	OutcomeRan EventOutcome = "ran"
	// OutcomeSkipped keeps events some trigger skipped at their latest dispatch (Event.Skipped says why).
	OutcomeSkipped EventOutcome = "skipped"
	// OutcomeDuplicate keeps events that arrived more than once.
	OutcomeDuplicate EventOutcome = "duplicate"
	// OutcomePending keeps events waiting to be matched against the triggers.
	OutcomePending EventOutcome = "pending"
	// OutcomeNone keeps events dispatched without a run or a skipped trigger: no trigger listened.
	OutcomeNone EventOutcome = "none"
)

// EventOutcomes lists every EventOutcome.
var EventOutcomes = []EventOutcome{OutcomeRan, OutcomeSkipped, OutcomeDuplicate, OutcomePending, OutcomeNone}

// Valid reports whether o is one of EventOutcomes.
func (o EventOutcome) Valid() bool {
	for _, v := range EventOutcomes {
		if o == v {
			return true
		}
	}
	return false
}
