package eventhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/trama-dev/trama/okta"
)

// An event hook's events.filter narrows what it receives: for each event type in its eventFilterMap,
// only events whose condition holds are delivered; event types without an entry are delivered as
// before. The shape is the description's EventHookFilters:
//
//	{"type": "EXPRESSION_LANGUAGE", "eventFilterMap": [{"event": "group.user_membership.add",
//	  "condition": {"expression": "event.target.?[type eq 'UserGroup' && displayName eq 'Sales'].size() > 0"}}]}
//
// type is read-only (Okta answers EXPRESSION_LANGUAGE, its only type) and condition.version is an
// internal field Okta answers as null. The expression language is in expr.go.

const filterTypeEL = "EXPRESSION_LANGUAGE"

// filterJSON is the request form of events.filter; json.RawMessage members are checked by hand so a
// value of the wrong JSON type is a validation cause, not a malformed body.
type filterJSON struct {
	Type           json.RawMessage `json:"type"`
	EventFilterMap json.RawMessage `json:"eventFilterMap"`
}

type filterEntryJSON struct {
	Event     json.RawMessage `json:"event"`
	Condition json.RawMessage `json:"condition"`
}

type conditionJSON struct {
	Expression json.RawMessage `json:"expression"`
}

// filterEntry is one checked eventFilterMap entry.
type filterEntry struct {
	event      string
	expression string
	cond       condition
}

// eventFilters is a hook's compiled filter: the condition for each filtered event type.
type eventFilters struct {
	entries []filterEntry
}

// allows reports whether a hook with these filters receives ev. A nil filter allows everything.
func (f *eventFilters) allows(ev *okta.LogEvent) bool {
	if f == nil {
		return true
	}
	for i := range f.entries {
		if f.entries[i].event == ev.EventType {
			return f.entries[i].cond.holds(ev)
		}
	}
	return true
}

// normalized is the stored and answered form of the filter: Okta's type, and each condition with its
// version, which Okta answers as null.
func (f *eventFilters) normalized() json.RawMessage {
	type cond struct {
		Version    *string `json:"version"`
		Expression string  `json:"expression"`
	}
	type entry struct {
		Event     string `json:"event"`
		Condition cond   `json:"condition"`
	}
	out := struct {
		Type           string  `json:"type"`
		EventFilterMap []entry `json:"eventFilterMap"`
	}{Type: filterTypeEL, EventFilterMap: []entry{}}
	for _, e := range f.entries {
		out.EventFilterMap = append(out.EventFilterMap, entry{Event: e.event, Condition: cond{Expression: e.expression}})
	}
	data, _ := json.Marshal(out)
	return data
}

// compileFilter checks events.filter against the hook's subscribed items and compiles its
// conditions. An absent or null filter is nil with no violations. Each broken rule is one violation,
// named by the path of the member at fault.
func compileFilter(raw json.RawMessage, items []string) (*eventFilters, []violation) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var causes []violation
	add := func(field, format string, args ...any) {
		causes = append(causes, violation{field, field + ": " + fmt.Sprintf(format, args...)})
	}
	var fj filterJSON
	if raw[0] != '{' || json.Unmarshal(raw, &fj) != nil {
		add("events.filter", "Must be an object")
		return nil, causes
	}
	if t := bytes.TrimSpace(fj.Type); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
		var s string
		if json.Unmarshal(t, &s) != nil || s != filterTypeEL {
			add("events.filter.type", "Must be %s, the only filter type", filterTypeEL)
		}
	}
	m := bytes.TrimSpace(fj.EventFilterMap)
	var rawEntries []json.RawMessage
	switch {
	case len(m) == 0 || bytes.Equal(m, []byte("null")):
		add("events.filter.eventFilterMap", "The field cannot be left blank")
		return nil, causes
	case json.Unmarshal(m, &rawEntries) != nil:
		add("events.filter.eventFilterMap", "Must be an array")
		return nil, causes
	}
	f := &eventFilters{}
	for i, re := range rawEntries {
		at := fmt.Sprintf("events.filter.eventFilterMap[%d]", i)
		var ej filterEntryJSON
		if b := bytes.TrimSpace(re); len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &ej) != nil {
			add(at, "Must be an object")
			continue
		}
		var event string
		if json.Unmarshal(ej.Event, &event) != nil || event == "" {
			add(at+".event", "Must be an event type the hook subscribes to")
			continue
		}
		if !slices.Contains(items, event) {
			add(at+".event", "%q is not in events.items; a filter applies to a subscribed event type", event)
			continue
		}
		if slices.ContainsFunc(f.entries, func(e filterEntry) bool { return e.event == event }) {
			add(at+".event", "%q has more than one filter", event)
			continue
		}
		var cj conditionJSON
		var expr string
		if b := bytes.TrimSpace(ej.Condition); len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &cj) != nil {
			add(at+".condition", "Must be an object with an expression")
			continue
		}
		if json.Unmarshal(cj.Expression, &expr) != nil {
			add(at+".condition.expression", "Must be a string")
			continue
		}
		c, err := parseCondition(expr)
		if err != nil {
			add(at+".condition.expression", "Unsupported Okta Expression Language filter: %v", err)
			continue
		}
		f.entries = append(f.entries, filterEntry{event: event, expression: expr, cond: c})
	}
	if len(causes) > 0 {
		return nil, causes
	}
	return f, nil
}
