package emulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
)

// The Policy API's policy operations: create (activate=false makes the policy INACTIVE), list by type,
// get, replace, activate, deactivate and delete. The default policy of each type cannot be deleted or
// deactivated; its priority is always last.

// policyEvent is policy.lifecycle.<change> targeting the policy; the display messages are the event
// catalog's descriptions ("Create policy", ...), as for the other lifecycle events. e.mu must be held.
func (e *Emulator) policyEvent(rq *request, change string, p *policy) okta.LogEvent {
	message := map[string]string{"create": "Create policy", "update": "Update policy", "activate": "Activate policy",
		"deactivate": "Deactivate policy", "delete": "Delete policy"}[change]
	return e.event(rq, "policy.lifecycle."+change, message, "", p.target())
}

// ruleEvent is policy.rule.<change> targeting the policy and the rule, the targets recorded rule
// evaluations carry. e.mu must be held.
func (e *Emulator) ruleEvent(rq *request, change string, p *policy, r *policyRule) okta.LogEvent {
	message := map[string]string{"add": "Add policy rule", "update": "Update policy rule",
		"activate": "Activate policy rule", "deactivate": "Deactivate policy rule", "delete": "Delete policy rule"}[change]
	return e.event(rq, "policy.rule."+change, message, "", p.target(), p.ruleTarget(r))
}

// errDefaultPolicy refuses to delete or deactivate what Okta keeps: the default policy of a type and a
// policy's default rule ("A default Policy is required and can't be deleted", Okta's Policy API
// reference). Okta's status and text for it are not documented; 403 E0000006 is inferred.
func errDefaultPolicy() *apiError { return errAccessDenied() }

// policyFromPath finds {policyId}. e.mu must be held.
func (e *Emulator) policyFromPath(rq *request) (*policy, error) {
	id := rq.r.PathValue("policyId")
	p := e.policies[id]
	if p == nil {
		return nil, policyNotFound(id)
	}
	return p, nil
}

func (e *Emulator) createPolicy(rq *request) (int, any, error) {
	body, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	activate := boolQuery(rq.r, "activate", true)
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		spec, err := e.checkPolicy(body)
		if err != nil {
			return 0, nil, nil, err
		}
		if err := e.checkPolicyName(spec, nil); err != nil {
			return 0, nil, nil, err
		}
		k := policyKinds[spec.typ]
		p := &policy{ID: newID(k.prefix), Type: spec.typ, Status: policyActive, Created: rq.now}
		if !activate || spec.inactive {
			p.Status = policyInactive
		}
		p.apply(spec, rq.now)
		e.addPolicy(p)
		e.placePolicy(p, spec.priority)
		if spec.typ == policyAccess {
			// Okta gives every app sign-in policy a catch-all rule (okta/terraform-provider-okta#1749).
			p.Rules = []*policyRule{{ID: newID(k.rulePrefix), Name: k.defaultRule, Status: policyActive, Priority: 1,
				System: true, Created: rq.now, LastUpdated: rq.now,
				Actions: map[string]any{"appSignOn": map[string]any{"access": "ALLOW", "verificationMethod": map[string]any{
					"type": "ASSURANCE", "factorMode": "1FA", "reauthenticateIn": "PT12H", "constraints": []any{}}}}}}
		}
		return http.StatusOK, e.renderPolicy(p), []okta.LogEvent{e.policyEvent(rq, "create", p)}, nil
	})
}

// apply stores what a checked body sets. A replace without a description clears it, as a PUT
// replaces the object.
func (p *policy) apply(s *policySpec, now time.Time) {
	p.Name = s.name
	p.Description = s.description
	p.Conditions = s.conditions
	if s.settings != nil {
		p.Settings = s.settings
	}
	p.LastUpdated = now
}

// checkPolicyName refuses a second policy of a type with the same name (case-insensitive). self is the
// policy being replaced. The text is inferred. e.mu must be held.
func (e *Emulator) checkPolicyName(s *policySpec, self *policy) error {
	for _, p := range e.policyOrder {
		if p != self && p.Type == s.typ && strings.EqualFold(p.Name, s.name) {
			return errValidation("name", "name: A policy with this name already exists.")
		}
	}
	return nil
}

func (e *Emulator) getPolicy(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.policyFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderPolicy(p), nil
}

// listPolicies answers the policies of one type, which Okta requires, in priority order; status and q
// (a case-insensitive name prefix) narrow it, limit and after page it.
func (e *Emulator) listPolicies(rq *request) (int, any, error) {
	qs := rq.r.URL.Query()
	typ := qs.Get("type")
	if _, ok := policyKinds[typ]; !ok && !slices.Contains(knownPolicyTypes, typ) {
		return 0, nil, errPolicyType()
	}
	status := qs.Get("status")
	if status != "" && status != policyActive && status != policyInactive {
		return 0, nil, errValidation("status", "status: "+strconv.Quote(status)+" is not one of ACTIVE, INACTIVE")
	}
	limit := -1
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, nil, errValidation("limit", "limit: must be a positive integer")
		}
		limit = n
	}
	q := strings.ToLower(qs.Get("q"))
	after := qs.Get("after")
	e.mu.Lock()
	out := []map[string]any{}
	started := after == ""
	more := false
	var last string
	for _, p := range e.policiesOfType(typ) {
		if !started {
			started = p.ID == after
			continue
		}
		if (status != "" && p.Status != status) || !strings.HasPrefix(strings.ToLower(p.Name), q) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, e.renderPolicy(p))
		last = p.ID
	}
	e.mu.Unlock()
	setPageLinks(rq, e.opts.BaseURL, more, "after", last)
	return http.StatusOK, out, nil
}

// replacePolicy replaces a policy's name, description, priority, conditions and settings. The type
// cannot change; the status follows the lifecycle operations, not the body. The default policy keeps
// its group condition and its place.
func (e *Emulator) replacePolicy(rq *request) (int, any, error) {
	body, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		p, err := e.policyFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		spec, err := e.checkPolicy(body)
		if err != nil {
			return 0, nil, nil, err
		}
		if spec.typ != p.Type {
			return 0, nil, nil, errPolicyFormat()
		}
		if err := e.checkPolicyName(spec, p); err != nil {
			return 0, nil, nil, err
		}
		if p.System {
			spec.conditions = p.Conditions
		}
		p.apply(spec, rq.now)
		if spec.priority != 0 {
			e.placePolicy(p, spec.priority)
		}
		return http.StatusOK, e.renderPolicy(p), []okta.LogEvent{e.policyEvent(rq, "update", p)}, nil
	})
}

// deletePolicy deletes a policy and its rules; the default policy cannot be deleted.
func (e *Emulator) deletePolicy(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		p, err := e.policyFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if p.System {
			return 0, nil, nil, errDefaultPolicy()
		}
		e.removePolicy(p)
		e.renumberPolicies(p.Type)
		return http.StatusNoContent, nil, []okta.LogEvent{e.policyEvent(rq, "delete", p)}, nil
	})
}

func (e *Emulator) activatePolicy(rq *request) (int, any, error) { return e.setPolicyStatus(rq, true) }
func (e *Emulator) deactivatePolicy(rq *request) (int, any, error) {
	return e.setPolicyStatus(rq, false)
}

// setPolicyStatus answers 204 and logs the change; a policy already in the status logs nothing.
func (e *Emulator) setPolicyStatus(rq *request, active bool) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		p, err := e.policyFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		status, change := policyActive, "activate"
		if !active {
			if p.System {
				return 0, nil, nil, errDefaultPolicy()
			}
			status, change = policyInactive, "deactivate"
		}
		if p.Status == status {
			return http.StatusNoContent, nil, nil, nil
		}
		p.Status = status
		p.LastUpdated = rq.now
		return http.StatusNoContent, nil, []okta.LogEvent{e.policyEvent(rq, change, p)}, nil
	})
}

// renderPolicy is the policy as Okta shows it, with links for what can be done to it: a default policy
// can be read and replaced, not deleted or deactivated. e.mu must be held.
func (e *Emulator) renderPolicy(p *policy) map[string]any {
	self := e.opts.BaseURL + "/api/v1/policies/" + p.ID
	selfHints := &hints{Allow: []string{"GET", "PUT", "DELETE"}}
	if p.System {
		selfHints = &hints{Allow: []string{"GET", "PUT"}}
	}
	links := map[string]any{
		"self":  link{Href: self, Hints: selfHints},
		"rules": link{Href: self + "/rules", Hints: &hints{Allow: []string{"GET", "POST"}}},
	}
	if p.Type != policyPassword {
		links["mappings"] = link{Href: self + "/mappings", Hints: &hints{Allow: []string{"GET", "POST"}}}
	}
	if !p.System {
		if p.Status == policyActive {
			links["deactivate"] = link{Href: self + "/lifecycle/deactivate", Hints: hintPost}
		} else {
			links["activate"] = link{Href: self + "/lifecycle/activate", Hints: hintPost}
		}
	}
	out := map[string]any{
		"id": p.ID, "type": p.Type, "name": p.Name, "status": p.Status, "priority": p.Priority, "system": p.System,
		"created": okta.Time{Time: p.Created}, "lastUpdated": okta.Time{Time: p.LastUpdated}, "_links": links,
	}
	if p.Description != "" {
		out["description"] = p.Description
	}
	if p.Type == policyAccess {
		out["conditions"] = nil
	} else {
		out["conditions"] = deepCopy(p.Conditions)
	}
	if p.kind().hasSettings {
		out["settings"] = deepCopy(p.Settings)
	}
	return out
}
