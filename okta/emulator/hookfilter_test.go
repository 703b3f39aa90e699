package emulator

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestEventHookFilter registers a hook with Okta's documented group filter and a receiver on loopback:
// memberships of the Sales group reach it, those of other groups do not, the unfiltered event type it
// also subscribes to arrives whatever the group, and a filter outside the documented forms is refused
// with Okta's validation error.
func TestEventHookFilter(t *testing.T) {
	rc := &receiver{}
	hookURL := newHookServer(t, rc)
	o := newTestOrg(t, Options{AllowHTTPHooks: true, HookBatchWindow: 20 * time.Millisecond})
	const sales = "event.target.?[type eq 'UserGroup' && displayName eq 'Sales'].size() > 0"
	hook := func(filter any) map[string]any {
		return map[string]any{
			"name": "Sales memberships",
			"events": map[string]any{"type": "EVENT_TYPE", "items": []string{"group.user_membership.add", "group.user_membership.remove"},
				"filter": filter},
			"channel": map[string]any{"type": "HTTP", "version": "1.0.0", "config": map[string]any{"uri": hookURL + "/okta"}},
		}
	}
	filter := map[string]any{"eventFilterMap": []any{map[string]any{
		"event": "group.user_membership.add", "condition": map[string]any{"expression": sales}}}}

	created := o.do("POST", "/api/v1/eventHooks", hook(filter))
	wantStatus(t, created, http.StatusOK)
	got := created.obj(t)["events"].(map[string]any)["filter"].(map[string]any)
	entry := got["eventFilterMap"].([]any)[0].(map[string]any)
	cond := entry["condition"].(map[string]any)
	if got["type"] != "EXPRESSION_LANGUAGE" || cond["expression"] != sales || cond["version"] != nil {
		t.Fatalf("filter answered as %v", got)
	}
	hid := created.obj(t)["id"].(string)
	wantStatus(t, o.do("POST", "/api/v1/eventHooks/"+hid+"/lifecycle/verify", nil), http.StatusOK)

	salesID, engID := o.createGroup("Sales"), o.createGroup("Engineering")
	ada, grace := o.createUser("ada@example.com"), o.createUser("grace@example.com")
	for _, m := range [][2]string{{salesID, ada}, {engID, grace}, {engID, ada}} {
		wantStatus(t, o.do("PUT", "/api/v1/groups/"+m[0]+"/users/"+m[1], nil), http.StatusNoContent)
	}
	wantStatus(t, o.do("DELETE", "/api/v1/groups/"+engID+"/users/"+grace, nil), http.StatusNoContent)
	flush(t, o)

	adds := rc.events("group.user_membership.add")
	if len(adds) != 1 || adds[0].Target[0].ID != ada || adds[0].Target[1].ID != salesID {
		t.Fatalf("delivered adds %+v, want only ada joining Sales", adds)
	}
	if removes := rc.events("group.user_membership.remove"); len(removes) != 1 || removes[0].Target[1].ID != engID {
		t.Fatalf("delivered removes %+v, want the unfiltered removal from Engineering", removes)
	}
	// The System Log still has every membership: the filter narrows deliveries, not the log.
	if n := len(o.events("group.user_membership.add")); n != 3 {
		t.Fatalf("%d membership events in the System Log, want 3", n)
	}

	// Forms Okta does not document are refused, at create and at replace.
	lambda := map[string]any{"eventFilterMap": []any{map[string]any{
		"event": "group.user_membership.add", "condition": map[string]any{"expression": "event.target.exists(t -> t.displayName == 'Sales')"}}}}
	r := o.do("POST", "/api/v1/eventHooks", hook(lambda))
	wantError(t, r, http.StatusBadRequest, "E0000001")
	var e struct {
		ErrorSummary string
		ErrorCauses  []struct{ ErrorSummary string }
	}
	r.json(t, &e)
	if e.ErrorSummary != "Api validation failed: events.filter.eventFilterMap[0].condition.expression" || len(e.ErrorCauses) != 1 {
		t.Fatalf("refusal %s", r.body)
	}
	wantError(t, o.do("PUT", "/api/v1/eventHooks/"+hid, hook(lambda)), http.StatusBadRequest, "E0000001")
	var hooks []map[string]any
	o.do("GET", "/api/v1/eventHooks", nil).json(t, &hooks)
	if len(hooks) != 1 || !slices.ContainsFunc(hooks, func(h map[string]any) bool { return h["id"] == hid }) {
		t.Fatalf("hooks after refusals: %v", hooks)
	}
}
