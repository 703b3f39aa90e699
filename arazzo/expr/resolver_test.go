package expr

import (
	"encoding/json"
	"errors"
	"strings"
)

// fixture is a Resolver over plain maps, the way the runner keeps a step's
// context: it answers the base value and leaves the pointer to Eval.
type fixture struct {
	url        string
	method     string
	statusCode any
	reqHeaders map[string]string
	resHeaders map[string]string
	query      map[string]any
	path       map[string]any
	reqBody    any
	body       any
	inputs     map[string]any
	outputs    map[string]any
	steps      map[string]map[string]any
	workflows  map[string]map[string]map[string]any
	sources    map[string]map[string]any
	components map[string]map[string]any
	custom     map[Root]any
	fail       bool
}

var errBroken = errors.New("backend unavailable")

func (f *fixture) Resolve(e Expr) (any, bool, error) {
	if f.fail {
		return nil, false, errBroken
	}
	get := func(m map[string]any, k string) (any, bool, error) {
		v, ok := m[k]
		return v, ok, nil
	}
	header := func(h map[string]string, name string) (any, bool, error) {
		for k, v := range h {
			if strings.EqualFold(k, name) {
				return v, true, nil
			}
		}
		return nil, false, nil
	}
	switch e.Root {
	case RootURL:
		return f.url, f.url != "", nil
	case RootMethod:
		return f.method, f.method != "", nil
	case RootStatusCode:
		return f.statusCode, f.statusCode != nil, nil
	case RootRequest, RootResponse:
		switch e.Source {
		case SourceHeader:
			if e.Root == RootRequest {
				return header(f.reqHeaders, e.Name)
			}
			return header(f.resHeaders, e.Name)
		case SourceQuery:
			return get(f.query, e.Name)
		case SourcePath:
			return get(f.path, e.Name)
		case SourceBody:
			if e.Root == RootRequest {
				return f.reqBody, f.reqBody != nil, nil
			}
			return f.body, f.body != nil, nil
		}
	case RootInputs:
		return get(f.inputs, e.Name)
	case RootOutputs:
		return get(f.outputs, e.Name)
	case RootSteps:
		return get(f.steps[e.StepID], e.Name)
	case RootWorkflows:
		return get(f.workflows[e.WorkflowID][e.Field], e.Name)
	case RootSourceDescriptions:
		return get(f.sources[e.SourceName], e.Ref)
	case RootComponents:
		return get(f.components[e.Kind], e.Name)
	default:
		v, ok := f.custom[e.Root]
		return v, ok, nil
	}
	return nil, false, nil
}

func decode(s string) any {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		panic(err)
	}
	return v
}

func newFixture() *fixture {
	return &fixture{
		url:        "https://example.okta.com/api/v1/users/00u1",
		method:     "GET",
		statusCode: 200,
		reqHeaders: map[string]string{"Accept": "application/json"},
		resHeaders: map[string]string{"Content-Type": "application/json", "X-Rate-Limit-Remaining": "42", "X-Flag": "TRUE"},
		query:      map[string]any{"limit": "10", "search": "profile.login sw \"a\""},
		path:       map[string]any{"id": "00u1"},
		reqBody:    decode(`{"user":{"uuid":"u-1"}}`),
		body: decode(`{"id":"00u1","status":"ACTIVE","name":"Alice","count":"5","total":12,
			"items":[{"id":"a"},{"id":"b"}],"data":{"x":1},"nothing":null,"ok":true,"ratio":0.5,
			"city":"STRASSE","greek":"ΣΑΣ","big":9007199254740993,"tilde~key":"t","slash/key":"s","empty":""}`),
		inputs: map[string]any{
			"oktaApiToken": "TOK123", "limit": 25, "threshold": json.Number("10"), "user": map[string]any{"id": "u9", "tags": []any{"x", "y"}},
			"dotted.name": "dn", "expectedStatus": "active", "host": "api.example.com", "flag": false, "price": 9.5,
		},
		outputs: map[string]any{"bar": "B", "mappedResponse": map[string]any{"name": "mr"}},
		steps: map[string]map[string]any{
			"someStepId": {"pets": []any{map[string]any{"id": int64(7)}}, "token": "abc"},
			"create":     {"id": "c-1"},
		},
		workflows: map[string]map[string]map[string]any{
			"foo": {"inputs": {"username": "bob"}, "outputs": {"bar": 3, "mappedResponse": map[string]any{"name": "n"}}},
		},
		sources:    map[string]map[string]any{"petstore": {"url": "https://api.example.com/petstore.yaml", "getPetById": "op"}},
		components: map[string]map[string]any{"parameters": {"page": 1}},
		custom: map[Root]any{
			"event": decode(`{"eventType":"user.lifecycle.activate","oktaUser":{"id":"00uE"},"eventDetails":{"outcome":"SUCCESS"},"target":[{"id":"t0"}]}`),
			"env":   map[string]any{"HOME": "/home/trama"},
		},
	}
}
