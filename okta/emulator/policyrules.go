package emulator

import (
	"net/http"

	"github.com/trama-dev/trama/okta"
)

// The Policy API's rule operations: create (activate=false makes the rule INACTIVE), list, get,
// replace, activate, deactivate and delete. A rule's type is its policy's rule type (SIGN_ON for a
// global session policy, ...). A policy's default rule (system: true) is always its last rule and
// cannot be deleted or deactivated; the default rule of an authenticator enrollment policy cannot be
// changed either (Okta's Policy API reference, "Default rules").

// policyRuleFromPath finds {policyId} and its rule {ruleId}. e.mu must be held.
func (e *Emulator) policyRuleFromPath(rq *request) (*policy, *policyRule, error) {
	p, err := e.policyFromPath(rq)
	if err != nil {
		return nil, nil, err
	}
	id := rq.r.PathValue("ruleId")
	r := p.ruleByID(id)
	if r == nil {
		return nil, nil, ruleNotFound(id)
	}
	return p, r, nil
}

func (e *Emulator) createPolicyRule(rq *request) (int, any, error) {
	body, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	activate := boolQuery(rq.r, "activate", true)
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		p, err := e.policyFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		spec, err := checkRule(p, body)
		if err != nil {
			return 0, nil, nil, err
		}
		r := &policyRule{ID: newID(p.kind().rulePrefix), Name: spec.name, Status: policyActive,
			Conditions: spec.conditions, Actions: spec.actions, Created: rq.now, LastUpdated: rq.now}
		if !activate || spec.inactive {
			r.Status = policyInactive
		}
		placeRule(p, r, spec.priority)
		return http.StatusOK, e.renderPolicyRule(p, r), []okta.LogEvent{e.ruleEvent(rq, "add", p, r)}, nil
	})
}

func (e *Emulator) getPolicyRule(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, r, err := e.policyRuleFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e.renderPolicyRule(p, r), nil
}

// listPolicyRules answers the policy's rules in priority order.
func (e *Emulator) listPolicyRules(rq *request) (int, any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.policyFromPath(rq)
	if err != nil {
		return 0, nil, err
	}
	out := make([]map[string]any, 0, len(p.Rules))
	for _, r := range p.Rules {
		out = append(out, e.renderPolicyRule(p, r))
	}
	return http.StatusOK, out, nil
}

// replacePolicyRule replaces a rule's name, priority, conditions and actions; its status follows the
// lifecycle operations. A default rule keeps its name, conditions and place.
func (e *Emulator) replacePolicyRule(rq *request) (int, any, error) {
	body, err := decodeObject(rq.r)
	if err != nil {
		return 0, nil, err
	}
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		p, r, err := e.policyRuleFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if r.System && p.Type == policyMFAEnroll {
			return 0, nil, nil, errDefaultPolicy()
		}
		spec, err := checkRule(p, body)
		if err != nil {
			return 0, nil, nil, err
		}
		r.Actions = spec.actions
		r.LastUpdated = rq.now
		if !r.System {
			r.Name = spec.name
			r.Conditions = spec.conditions
			if spec.priority != 0 {
				placeRule(p, r, spec.priority)
			}
		}
		return http.StatusOK, e.renderPolicyRule(p, r), []okta.LogEvent{e.ruleEvent(rq, "update", p, r)}, nil
	})
}

func (e *Emulator) deletePolicyRule(rq *request) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		p, r, err := e.policyRuleFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		if r.System {
			return 0, nil, nil, errDefaultPolicy()
		}
		for i, x := range p.Rules {
			if x == r {
				p.Rules = append(p.Rules[:i:i], p.Rules[i+1:]...)
				break
			}
		}
		renumberRules(p)
		return http.StatusNoContent, nil, []okta.LogEvent{e.ruleEvent(rq, "delete", p, r)}, nil
	})
}

func (e *Emulator) activatePolicyRule(rq *request) (int, any, error) {
	return e.setRuleStatus(rq, true)
}
func (e *Emulator) deactivatePolicyRule(rq *request) (int, any, error) {
	return e.setRuleStatus(rq, false)
}

// setRuleStatus answers 204 and logs the change; a rule already in the status logs nothing.
func (e *Emulator) setRuleStatus(rq *request, active bool) (int, any, error) {
	return e.locked(func() (int, any, []okta.LogEvent, error) {
		p, r, err := e.policyRuleFromPath(rq)
		if err != nil {
			return 0, nil, nil, err
		}
		status, change := policyActive, "activate"
		if !active {
			if r.System {
				return 0, nil, nil, errDefaultPolicy()
			}
			status, change = policyInactive, "deactivate"
		}
		if r.Status == status {
			return http.StatusNoContent, nil, nil, nil
		}
		r.Status = status
		r.LastUpdated = rq.now
		return http.StatusNoContent, nil, []okta.LogEvent{e.ruleEvent(rq, change, p, r)}, nil
	})
}

// renderPolicyRule is the rule as Okta shows it. An app sign-in catch-all rule has conditions null, as
// Okta's example shows. e.mu must be held.
func (e *Emulator) renderPolicyRule(p *policy, r *policyRule) map[string]any {
	self := e.opts.BaseURL + "/api/v1/policies/" + p.ID + "/rules/" + r.ID
	selfHints := &hints{Allow: []string{"GET", "PUT", "DELETE"}}
	if r.System {
		selfHints = &hints{Allow: []string{"GET", "PUT"}}
	}
	links := map[string]any{"self": link{Href: self, Hints: selfHints}}
	if !r.System {
		if r.Status == policyActive {
			links["deactivate"] = link{Href: self + "/lifecycle/deactivate", Hints: hintPost}
		} else {
			links["activate"] = link{Href: self + "/lifecycle/activate", Hints: hintPost}
		}
	}
	out := map[string]any{
		"id": r.ID, "type": p.kind().ruleType, "name": r.Name, "status": r.Status, "priority": r.Priority,
		"system": r.System, "created": okta.Time{Time: r.Created}, "lastUpdated": okta.Time{Time: r.LastUpdated},
		"conditions": nil, "actions": deepCopy(r.Actions), "_links": links,
	}
	if r.Conditions != nil {
		out["conditions"] = deepCopy(r.Conditions)
	}
	return out
}
