package expr

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Expr
	}{
		// 1.0.1 l.849–861 and 1.1 l.1450–1470 example table.
		{"$method", Expr{Root: RootMethod}},
		{"$url", Expr{Root: RootURL}},
		{"$statusCode", Expr{Root: RootStatusCode}},
		{"$self", Expr{Root: RootSelf}},
		{"$request.header.accept", Expr{Root: RootRequest, Source: "header", Name: "accept"}},
		{"$request.path.id", Expr{Root: RootRequest, Source: "path", Name: "id"}},
		{"$request.body#/user/uuid", Expr{Root: RootRequest, Source: "body", Pointer: "/user/uuid"}},
		{"$response.body#/status", Expr{Root: RootResponse, Source: "body", Pointer: "/status"}},
		{"$response.body#/items/0/id", Expr{Root: RootResponse, Source: "body", Pointer: "/items/0/id"}},
		{"$response.body", Expr{Root: RootResponse, Source: "body"}},
		{"$response.header.Server", Expr{Root: RootResponse, Source: "header", Name: "Server"}},
		{"$message.header.Server", Expr{Root: RootMessage, Source: "header", Name: "Server"}},
		{"$message.payload#/status", Expr{Root: RootMessage, Source: "payload", Pointer: "/status"}},
		{"$inputs.username", Expr{Root: RootInputs, Name: "username"}},
		{"$workflows.foo.inputs.username", Expr{Root: RootWorkflows, WorkflowID: "foo", Field: "inputs", Name: "username"}},
		{"$steps.someStepId.outputs.pets", Expr{Root: RootSteps, StepID: "someStepId", Field: "outputs", Name: "pets"}},
		{"$steps.someStepId.outputs.pets#/0/id", Expr{Root: RootSteps, StepID: "someStepId", Field: "outputs", Name: "pets", Pointer: "/0/id"}},
		{"$outputs.bar", Expr{Root: RootOutputs, Name: "bar"}},
		{"$workflows.foo.outputs.bar", Expr{Root: RootWorkflows, WorkflowID: "foo", Field: "outputs", Name: "bar"}},
		{"$workflows.foo.outputs.mappedResponse#/name", Expr{Root: RootWorkflows, WorkflowID: "foo", Field: "outputs", Name: "mappedResponse", Pointer: "/name"}},
		{"$components.parameters.foo", Expr{Root: RootComponents, Kind: "parameters", Name: "foo"}},
		{"$components.successActions.bar", Expr{Root: RootComponents, Kind: "successActions", Name: "bar"}},
		{"$components.failureActions.baz", Expr{Root: RootComponents, Kind: "failureActions", Name: "baz"}},
		{"$components.inputs.username", Expr{Root: RootComponents, Kind: "inputs", Name: "username"}},
		{"$sourceDescriptions.petstore.getPetById", Expr{Root: RootSourceDescriptions, SourceName: "petstore", Ref: "getPetById"}},
		{"$sourceDescriptions.petstore.url", Expr{Root: RootSourceDescriptions, SourceName: "petstore", Ref: "url"}},
		// 1.0.1 document idioms.
		{"$steps.loginUser.outputs.sessionToken", Expr{Root: RootSteps, StepID: "loginUser", Field: "outputs", Name: "sessionToken"}},
		{"$inputs.oktaApiToken", Expr{Root: RootInputs, Name: "oktaApiToken"}},
		{"$sourceDescriptions.apply-coupons-api.url", Expr{Root: RootSourceDescriptions, SourceName: "apply-coupons-api", Ref: "url"}},
		// Identifiers keep dots, dashes and underscores (1.1 l.1399).
		{"$inputs.user.id", Expr{Root: RootInputs, Name: "user.id"}},
		{"$steps.get-user_2.outputs.a.b-c_d", Expr{Root: RootSteps, StepID: "get-user_2", Field: "outputs", Name: "a.b-c_d"}},
		{"$inputs.user#/tags/0", Expr{Root: RootInputs, Name: "user", Pointer: "/tags/0"}},
		{"$outputs.x#", Expr{Root: RootOutputs, Name: "x"}},
		// Header tokens take tchar, including "." and "#".
		{"$response.header.X-Rate-Limit.Remaining#1", Expr{Root: RootResponse, Source: "header", Name: "X-Rate-Limit.Remaining#1"}},
		// name = *CHAR: anything but controls, '"', '{', '}', with escapes.
		{"$request.query.filter[status]", Expr{Root: RootRequest, Source: "query", Name: "filter[status]"}},
		{`$request.query.a\"b\u0041`, Expr{Root: RootRequest, Source: "query", Name: `a"bA`}},
		{"$sourceDescriptions.src.get user#1", Expr{Root: RootSourceDescriptions, SourceName: "src", Ref: "get user#1"}},
		// JSON Pointer escapes stay escaped in Pointer.
		{"$response.body#/a~1b/c~0d", Expr{Root: RootResponse, Source: "body", Pointer: "/a~1b/c~0d"}},
		{"$response.body#/", Expr{Root: RootResponse, Source: "body", Pointer: "/"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.want.Raw = tt.in
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q", got.String())
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, `starts with "$"`},
		{"inputs.x", 0, `starts with "$"`},
		{"$", 1, "expected a root name"},
		{"$.foo", 1, "expected a root name"},
		{"$5", 1, "unknown root $5"},
		{"$inptus.x", 1, "did you mean $inputs?"},
		{"$Inputs.x", 1, "did you mean $inputs?"},
		{"$respone.body", 1, "did you mean $response?"},
		{"$stpes.a.outputs.b", 1, "did you mean $steps?"},
		{"$statuscode", 1, "did you mean $statusCode?"},
		{"$nope.x", 1, "expected one of $url"},
		{"$inputs", 7, `expected "." after inputs`},
		{"$inputs.", 8, "expected name"},
		{"$inputs.a b", 9, "unexpected ' ' after $inputs.a"},
		{"$inputs.a{b}", 9, `"{" and "}" are not allowed`},
		{"$inputs.a/b", 9, "names may only contain"},
		{"$url.x", 4, "unexpected '.' after $url"},
		{"$statusCode == 200", 11, "unexpected ' '"},
		{"$response.headers.X", 10, "did you mean header?"},
		{"$response.bdy", 10, "did you mean body?"},
		{"$response.cookie.x", 10, "expected header, query, path, body or payload"},
		{"$response.header.", 17, "expected a header name"},
		{"$response.header.a b", 18, "unexpected ' '"},
		{"$response.query.", 16, "expected a query parameter name"},
		{"$response.body#status", 15, `must start with "/"`},
		{"$response.body#/a~2", 17, `"~" must be followed by "0" or "1"`},
		{"$response.body/x", 14, "unexpected '/'"},
		{"$request.query.a\\x", 16, "invalid escape"},
		{"$steps.a.b.c", 9, "expected outputs"},
		{"$steps.a.output.c", 9, "did you mean outputs?"},
		{"$steps.a.b.outputs.c", 9, "expected outputs"},
		{"$steps.a", 8, `expected "." after the step id`},
		{"$steps..outputs.x", 7, "expected step id"},
		{"$workflows.w.input.x", 13, "did you mean inputs?"},
		{"$workflows.w.steps.x", 13, "expected inputs or outputs"},
		{"$components.outputs.x", 12, "expected parameters, successActions, failureActions or inputs"},
		{"$components.parameter.x", 12, "did you mean parameters?"},
		{"$components.parameters.x#/a", 24, "unexpected '#'"},
		{"$sourceDescriptions.a", 21, `expected "."`},
		{"$sourceDescriptions.a.", 22, "expected an operationId"},
		{"$event.x", 1, "unknown root $event"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", tt.in, err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("Parse(%q) = offset %d %q, want offset %d containing %q", tt.in, se.Offset, se.Msg, tt.offset, tt.msg)
			}
		})
	}
}

func TestParseCustomRoots(t *testing.T) {
	opts := Options{Roots: []string{"event", "env"}}
	tests := []struct {
		in   string
		want Expr
	}{
		{"$event", Expr{Root: "event"}},
		{"$event.oktaUser.id", Expr{Root: "event", Name: "oktaUser.id"}},
		{"$event.eventDetails#/outcome", Expr{Root: "event", Name: "eventDetails", Pointer: "/outcome"}},
		{"$env.HOME", Expr{Root: "env", Name: "HOME"}},
		{"$inputs.x", Expr{Root: RootInputs, Name: "x"}},
	}
	for _, tt := range tests {
		got, err := ParseWith(tt.in, opts)
		if err != nil {
			t.Fatalf("ParseWith(%q): %v", tt.in, err)
		}
		tt.want.Raw = tt.in
		if got != tt.want {
			t.Errorf("ParseWith(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
	segs := map[string][]string{"$event": nil, "$event.a": {"a"}, "$event.oktaUser.id#/x": {"oktaUser", "id"}, "$inputs.a.b": nil}
	for in, want := range segs {
		e, err := ParseWith(in, opts)
		if err != nil || !reflect.DeepEqual(e.Segments(), want) {
			t.Errorf("Segments(%q) = %q, %v; want %q", in, e.Segments(), err, want)
		}
	}
	for in, msg := range map[string]string{
		"$evnt.x":        "did you mean $event?",
		"$event.":        "unexpected '.' after $event",
		"$event.a..b":    "unexpected '.' after $event.a",
		"$event.a b":     "unexpected ' '",
		"$event.a#x":     `must start with "/"`,
		"$event.a/b":     "unexpected '/'",
		"$env.PATH{x}":   `"{" and "}"`,
		"$event.a.b.c.-": "",
	} {
		_, err := ParseWith(in, opts)
		if msg == "" {
			if err != nil {
				t.Errorf("ParseWith(%q): %v", in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseWith(%q) error = %v, want %q", in, err, msg)
		}
	}
}

func TestEval(t *testing.T) {
	f := newFixture()
	opts := Options{Roots: []string{"event", "env"}}
	tests := []struct {
		in    string
		want  any
		found bool
	}{
		{"$statusCode", 200, true},
		{"$method", "GET", true},
		{"$response.body#/status", "ACTIVE", true},
		{"$response.body#/items/1/id", "b", true},
		{"$response.body#/items/2/id", nil, false},
		{"$response.body#/missing", nil, false},
		{"$response.body#/nothing", nil, true},
		{"$response.body#/tilde~0key", "t", true},
		{"$response.body#/slash~1key", "s", true},
		{"$response.header.content-type", "application/json", true},
		{"$response.header.CONTENT-TYPE", "application/json", true},
		{"$response.header.X-Missing", nil, false},
		{"$request.body#/user/uuid", "u-1", true},
		{"$request.query.limit", "10", true},
		{"$request.path.id", "00u1", true},
		{"$inputs.limit", 25, true},
		{"$inputs.user#/tags/1", "y", true},
		{"$inputs.dotted.name", "dn", true},
		// No input "user.id": Eval walks input "user", member "id".
		{"$inputs.user.id", "u9", true},
		{"$inputs.user.tags.0", "x", true},
		{"$inputs.user.nope", nil, false},
		{"$inputs.nope.deeper", nil, false},
		{"$steps.someStepId.outputs.pets#/0/id", int64(7), true},
		{"$workflows.foo.outputs.mappedResponse#/name", "n", true},
		{"$workflows.foo.inputs.username", "bob", true},
		{"$outputs.mappedResponse#/name", "mr", true},
		{"$sourceDescriptions.petstore.url", "https://api.example.com/petstore.yaml", true},
		{"$components.parameters.page", 1, true},
		{"$event.oktaUser.id", "00uE", true},
		{"$event.eventDetails#/outcome", "SUCCESS", true},
		{"$event.target.0.id", "t0", true},
		{"$event.oktaUser.nope", nil, false},
		{"$env.HOME", "/home/trama", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := ParseWith(tt.in, opts)
			if err != nil {
				t.Fatal(err)
			}
			got, found, err := Eval(e, f)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if found != tt.found || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Eval(%s) = %#v, %v; want %#v, %v", tt.in, got, found, tt.want, tt.found)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	f := newFixture()
	e, _ := Parse("$response.body#/items/01")
	if _, _, err := Eval(e, f); err == nil || !strings.Contains(err.Error(), "$response.body#/items/01") {
		t.Errorf("leading-zero index: err = %v, want error naming the expression", err)
	}
	f.fail = true
	e, _ = Parse("$inputs.x")
	_, _, err := Eval(e, f)
	if !errors.Is(err, errBroken) || !strings.Contains(err.Error(), "$inputs.x") {
		t.Errorf("resolver failure: err = %v", err)
	}
	if _, _, err := Eval(e, nil); err == nil {
		t.Error("nil resolver: want error")
	}
}
