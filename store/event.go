package store

import (
	"encoding/json"
	"time"
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
	// DeliveryIDs lists the deliveries that brought the event, oldest first. Set by GetEvent only.
	DeliveryIDs []string
	// Headers are the (masked) request headers of the first delivery that brought the event. Set by
	// GetEvent only; nil for a polled event.
	Headers map[string][]string
	// Payload is the whole LogEvent as JSON. Set by GetEvent only, so listings stay small.
	Payload json.RawMessage
}

// EventFilter selects events for ListEvents, newest first.
type EventFilter struct {
	// Type, when set, keeps only events of that eventType.
	Type string
	// Source, when set, keeps only events that first arrived that way.
	Source Source
	Page
}
