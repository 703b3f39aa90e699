package eventhook

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/trama-dev/trama/okta"
)

// salesMembership is a group.user_membership.add event as Okta writes it: the user, then the group.
func salesMembership(uuid, group string) okta.LogEvent {
	ev := logEvent(uuid, "group.user_membership.add")
	ev.Actor = &okta.Actor{ID: "00uadmin", Type: "User", AlternateID: "admin@example.com", DisplayName: "Org Admin"}
	ev.Outcome = &okta.Outcome{Result: "SUCCESS"}
	ev.Target = []okta.Target{
		{ID: "00uada", Type: "User", AlternateID: "ada@example.com", DisplayName: "Ada Lovelace"},
		{ID: "00gsales", Type: "UserGroup", AlternateID: "unknown", DisplayName: group},
	}
	return ev
}

func TestFilterConditions(t *testing.T) {
	sales, eng := salesMembership("e1", "Sales"), salesMembership("e2", "Engineering")
	profile := logEvent("e3", "group.profile.update")
	profile.DebugContext = &okta.DebugContext{DebugData: map[string]any{"changedAttributes": "description,name"}}
	failed := logEvent("e4", "user.authentication.auth_via_mfa")
	failed.Outcome = &okta.Outcome{Result: "FAILURE", Reason: "INVALID_CREDENTIALS"}
	tests := []struct {
		expr string
		ev   okta.LogEvent
		want bool
	}{
		// Okta's documented examples (help.okta.com "Okta Expression Language and event hooks" and the
		// description's CreateAnEventHookWithFilter).
		{"event.target.?[type eq 'UserGroup' && displayName eq 'Sales'].size()> 0", sales, true},
		{"event.target.?[type eq 'UserGroup' && displayName eq 'Sales'].size()> 0", eng, false},
		{"event.target.?[type eq 'UserGroup'].size()>0 && event.target.?[displayName eq 'Sales'].size()>0", sales, true},
		{"event.target.?[type eq 'UserGroup' && displayName eq 'Sales'].size()> 0 || " +
			"event.target.?[type eq 'UserGroup' && displayName eq 'Engineering'].size()> 0", eng, true},
		// The other documented fields and operators.
		{"event.eventType eq 'group.user_membership.add'", sales, true},
		{"event.actor.alternateId eq 'admin@example.com'", sales, true},
		{"event.actor.id ne '00uadmin'", sales, false},
		{`event.actor.displayName == "Org Admin"`, sales, true},
		{"event.actor.type != 'User'", sales, false},
		{"event.outcome.result eq 'FAILURE' && event.outcome.reason eq 'INVALID_CREDENTIALS'", failed, true},
		{"event.outcome.reason eq 'INVALID_CREDENTIALS'", sales, false},
		{"event.outcome.reason ne 'INVALID_CREDENTIALS'", sales, true}, // absent is not equal
		{"event.debugData.changedAttributes eq 'description,name'", profile, true},
		{"event.debugData.changedAttributes eq 'name'", profile, false},
		{"event.debugData.changedAttributes ne 'name'", sales, true},
		// Selections count targets; comparisons of the count.
		{"event.target.?[type eq 'User' || type eq 'UserGroup'].size() == 2", sales, true},
		{"event.target.?[type ne 'User'].size() eq 1", sales, true},
		{"event.target.?[(id eq '00uada' || id eq 'x') && alternateId eq 'ada@example.com'].size() >= 1", sales, true},
		{"event.target.?[displayName eq 'Sales'].size() < 1", sales, false},
		{"event.target.?[displayName eq 'Sales'].size() <= 0", eng, true},
		{"event.target.?[displayName eq 'Sales'].size() != 0", eng, false},
		{"event.target.?[displayName eq 'Sales'].size() ne 0", sales, true},
		// Grouping and precedence: && binds tighter than ||.
		{"event.actor.id eq 'x' || event.actor.id eq '00uadmin' && event.eventType eq 'group.user_membership.add'", sales, true},
		{"(event.actor.id eq 'x' || event.actor.id eq '00uadmin') && event.eventType eq 'nope'", sales, false},
		// Quotes inside strings are doubled, as in the Expression Language.
		{"event.actor.displayName eq 'O''Brien'", func() okta.LogEvent {
			ev := salesMembership("e5", "Sales")
			ev.Actor.DisplayName = "O'Brien"
			return ev
		}(), true},
	}
	for _, tt := range tests {
		c, err := parseCondition(tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if got := c.holds(&tt.ev); got != tt.want {
			t.Errorf("%s on %s = %v, want %v", tt.expr, tt.ev.UUID, got, tt.want)
		}
	}
}

func TestFilterRefusals(t *testing.T) {
	const ok = "event.target.?[type eq 'UserGroup'].size() > 0"
	tests := []struct {
		name, expr, says string
	}{
		{"empty", "  ", "empty"},
		{"not boolean", "event.eventType", "ends before a comparison"},
		{"unknown field", "event.client.ipAddress eq '10.0.0.1'", "not a property"},
		{"lambda form", "event.target.exists(t -> t.type == 'UserGroup')", "selection .?[...]"},
		{"target field", "event.target.?[detailEntry eq 'x'].size() > 0", "compare id, type, alternateId or displayName"},
		{"no size", "event.target.?[type eq 'UserGroup']", ".size()"},
		{"size of nothing", "event.target.?[type eq 'UserGroup'].size() >", "whole number"},
		{"function call", "String.stringContains(event.eventType, 'user')", "must start with"},
		{"and as a word", "event.eventType eq 'a' and event.eventType eq 'b'", `unexpected "and"`},
		{"not operator", "!(event.eventType eq 'a')", "must start with"},
		{"unterminated", "event.eventType eq 'user", "unterminated string"},
		{"unbalanced", "(event.eventType eq 'a'", "ends too early"},
		{"trailing", "event.eventType eq 'a' )", `unexpected ")"`},
		{"number for string", "event.eventType eq 5", "quoted string"},
		{"regex operator", "event.eventType matches 'user.*'", "not a supported comparison"},
		{"too deep", strings.Repeat("(", 40) + ok + strings.Repeat(")", 40), "nested more than"},
		{"too long", ok + strings.Repeat(" || "+ok, 30), "characters"},
		{"huge number", "event.target.?[type eq 'x'].size() > 99999999999999999999", "whole number"},
	}
	for _, tt := range tests {
		_, err := parseCondition(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %q gave %v, want an error saying %q", tt.name, tt.expr, err, tt.says)
		}
	}
}

// filterBody is a create body subscribing to items with the given events.filter.
func filterBody(t *testing.T, filter any, items ...string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(validBody), &m); err != nil {
		t.Fatal(err)
	}
	m["events"] = map[string]any{"type": "EVENT_TYPE", "items": items, "filter": filter}
	b, _ := json.Marshal(m)
	return b
}

func elFilter(entries ...[2]string) map[string]any {
	var m []any
	for _, e := range entries {
		m = append(m, map[string]any{"event": e[0], "condition": map[string]any{"expression": e[1]}})
	}
	return map[string]any{"type": "EXPRESSION_LANGUAGE", "eventFilterMap": m}
}

func TestFilterValidation(t *testing.T) {
	const add, remove = "group.user_membership.add", "group.user_membership.remove"
	const good = "event.target.?[type eq 'UserGroup' && displayName eq 'Sales'].size()> 0"

	in, err := DecodeInput(filterBody(t, elFilter([2]string{add, good}), add, remove))
	if err != nil {
		t.Fatalf("Okta's documented filter refused: %v", err)
	}
	// The filter is answered as Okta answers it: the type, and condition.version null.
	h := Hook{ID: "who1", Events: cloneEvents(in.Events), Channel: cloneChannel(in.Channel)}
	rendered, _ := json.Marshal(h.Render(baseURL)["events"])
	var got, want any
	json.Unmarshal(rendered, &got)
	json.Unmarshal([]byte(`{"filter":{"eventFilterMap":[{"condition":{"expression":"`+good+`","version":null},"event":"`+add+
		`"}],"type":"EXPRESSION_LANGUAGE"},"items":["`+add+`","`+remove+`"],"type":"EVENT_TYPE"}`), &want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rendered events %s\nwant %v", rendered, want)
	}
	if in, err := DecodeInput(filterBody(t, nil, add)); err != nil || in.filters != nil {
		t.Fatalf("a null filter: %v %v", err, in.filters)
	}

	tests := []struct {
		name   string
		filter any
		field  string
	}{
		{"not an object", []string{"x"}, "events.filter"},
		{"other type", map[string]any{"type": "SCIM", "eventFilterMap": []any{}}, "events.filter.type"},
		{"no map", map[string]any{"type": "EXPRESSION_LANGUAGE"}, "events.filter.eventFilterMap"},
		{"map not array", map[string]any{"eventFilterMap": "x"}, "events.filter.eventFilterMap"},
		{"entry not object", map[string]any{"eventFilterMap": []any{7}}, "events.filter.eventFilterMap[0]"},
		{"unsubscribed event", elFilter([2]string{"user.lifecycle.create", good}), "events.filter.eventFilterMap[0].event"},
		{"two filters for one event", elFilter([2]string{add, good}, [2]string{add, good}), "events.filter.eventFilterMap[1].event"},
		{"no condition", map[string]any{"eventFilterMap": []any{map[string]any{"event": add}}}, "events.filter.eventFilterMap[0].condition"},
		{"expression not a string", map[string]any{"eventFilterMap": []any{map[string]any{"event": add,
			"condition": map[string]any{"expression": 1}}}}, "events.filter.eventFilterMap[0].condition.expression"},
		{"unsupported expression", elFilter([2]string{add, "event.target.exists(t -> t.type == 'UserGroup')"}),
			"events.filter.eventFilterMap[0].condition.expression"},
	}
	for _, tt := range tests {
		_, err := DecodeInput(filterBody(t, tt.filter, add, remove))
		var oe *okta.Error
		if !errors.As(err, &oe) || oe.ErrorCode != "E0000001" || oe.ErrorSummary != "Api validation failed: "+tt.field ||
			len(oe.ErrorCauses) == 0 || !strings.HasPrefix(oe.ErrorCauses[0].ErrorSummary, tt.field+": ") {
			t.Errorf("%s: %v, want E0000001 naming %s", tt.name, err, tt.field)
		}
	}
}

// TestFilteredDelivery delivers through a real loopback receiver: a filtered event type reaches the
// hook only when its condition holds, other subscribed types always, and replacing the hook replaces
// the filter.
func TestFilteredDelivery(t *testing.T) {
	const add, remove = "group.user_membership.add", "group.user_membership.remove"
	rc := newReceiver(t, nil)
	r, _ := newTestRegistry(t, Config{})
	in := input(rc.URL+"/hook", add, remove)
	in.Events.Filter, _ = json.Marshal(elFilter([2]string{add, "event.target.?[type eq 'UserGroup' && displayName eq 'Sales'].size() > 0"}))
	h, err := r.Create(context.Background(), in, "00uadmin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(context.Background(), h.ID); err != nil {
		t.Fatal(err)
	}
	leave := salesMembership("left-engineering", "Engineering")
	leave.EventType = remove
	r.Publish(salesMembership("joined-sales", "Sales"), salesMembership("joined-engineering", "Engineering"), leave)
	flush(t, r)
	if got := deliveredUUIDs(t, rc); !slices.Equal(got, []string{"joined-sales", "left-engineering"}) {
		t.Fatalf("delivered %v, want the Sales membership and the unfiltered removal", got)
	}

	// Replacing the hook without a filter delivers every subscribed event again.
	in.Events.Filter = nil
	if _, err := r.Replace(context.Background(), h.ID, in); err != nil {
		t.Fatal(err)
	}
	r.Publish(salesMembership("joined-engineering-2", "Engineering"))
	flush(t, r)
	if got := deliveredUUIDs(t, rc); !slices.Contains(got, "joined-engineering-2") {
		t.Fatalf("delivered %v after the filter was removed", got)
	}

	// A restored hook keeps its filter.
	in.Events.Filter, _ = json.Marshal(elFilter([2]string{add, "event.target.?[displayName eq 'Sales'].size() > 0"}))
	if _, err := r.Replace(context.Background(), h.ID, in); err != nil {
		t.Fatal(err)
	}
	r.Restore(r.Snapshot())
	r.Publish(salesMembership("restored-engineering", "Engineering"), salesMembership("restored-sales", "Sales"))
	flush(t, r)
	got := deliveredUUIDs(t, rc)
	if slices.Contains(got, "restored-engineering") || !slices.Contains(got, "restored-sales") {
		t.Fatalf("delivered %v after a restore", got)
	}
}

func deliveredUUIDs(t *testing.T, rc *receiver) []string {
	var out []string
	for _, d := range rc.deliveries(t) {
		for _, ev := range d.Data.Events {
			out = append(out, ev.UUID)
		}
	}
	return out
}

// FuzzParseCondition feeds arbitrary expressions to the filter parser: it returns a condition or an
// error, never panics, and what it accepts evaluates on any event without panicking either.
func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		"event.target.?[type eq 'UserGroup' && displayName eq 'Sales'].size()> 0",
		"event.target.?[type eq 'UserGroup'].size()>0 && event.target.?[displayName eq 'Sales'].size()>0",
		"event.eventType eq 'user.lifecycle.create' || (event.actor.id ne \"00u1\" && event.outcome.result == 'SUCCESS')",
		"event.debugData.changedAttributes eq 'name'",
		"event.target.?[(id eq 'a' || id eq 'b')].size() <= 3",
		"event.target.exists(t -> t.type == 'UserGroup')",
		"event.actor.displayName eq 'O''Brien'",
		"(((((", "event.target.?[", "event.", "'", "\"\"", "99999999999999999999", "event.target.?[type eq 'x'].size() >",
		"\xff\xfe", "event.eventType eq '\x00'",
	} {
		f.Add(s)
	}
	events := []okta.LogEvent{salesMembership("a", "Sales"), logEvent("b", "user.lifecycle.create"), {}}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := parseCondition(expr)
		if err != nil {
			if c != nil {
				t.Fatalf("%q: a condition and an error", expr)
			}
			return
		}
		for i := range events {
			c.holds(&events[i])
		}
	})
}
