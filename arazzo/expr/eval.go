package expr

import (
	"strings"

	"github.com/trama-dev/trama/jsonpointer"
)

// Resolver supplies the base value of an expression; Eval applies the JSON
// Pointer tail itself. For $response.body#/id, Resolve gets the Expr and
// returns the decoded body; Eval then applies "/id". For $response.header.X
// the resolver does the case-insensitive lookup. For a custom root the
// resolver returns the root's whole value (the event, the environment map)
// and Eval walks the dotted path in Expr.Name. found=false means the value
// does not exist.
type Resolver interface {
	Resolve(e Expr) (value any, found bool, err error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(e Expr) (any, bool, error)

// Resolve calls f.
func (f ResolverFunc) Resolve(e Expr) (any, bool, error) { return f(e) }

// Eval resolves e and applies its pointer. A missing value is found=false,
// not an error.
//
// Input and output names may contain dots ($inputs.user.id names the input
// "user.id" per the 1.1 ABNF), yet authors also write them to reach into an
// object-valued input. When the full name is not found, Eval retries with
// shorter names and walks the rest as object members, so $inputs.user.id
// finds input "user" → member "id" when no input "user.id" exists.
func Eval(e Expr, r Resolver) (value any, found bool, err error) {
	if r == nil {
		return nil, false, &EvalError{Expr: e.Raw, Msg: "no values available"}
	}
	v, ok, err := r.Resolve(e)
	if err != nil {
		return nil, false, &EvalError{Expr: e.Raw, Msg: "cannot resolve", Err: err}
	}
	if !ok {
		if !dottedName(e) {
			return nil, false, nil
		}
		v, ok, err = evalShorter(e, r)
		if err != nil || !ok {
			return nil, false, err
		}
	} else if e.Name != "" && !isArazzoRoot(e.Root) {
		if v, ok = walk(v, e.Name); !ok {
			return nil, false, nil
		}
	}
	if e.Pointer == "" {
		return v, true, nil
	}
	v, ok, err = jsonpointer.Get(v, e.Pointer)
	if err != nil {
		return nil, false, &EvalError{Expr: e.Raw, Msg: "bad JSON Pointer", Err: err}
	}
	return v, ok, nil
}

func dottedName(e Expr) bool {
	switch e.Root {
	case RootInputs, RootOutputs, RootSteps, RootWorkflows:
		return strings.IndexByte(e.Name, '.') > 0
	}
	return false
}

func evalShorter(e Expr, r Resolver) (any, bool, error) {
	full := e.Name
	for cut := strings.LastIndexByte(full, '.'); cut > 0; cut = strings.LastIndexByte(full[:cut], '.') {
		short := e
		short.Name = full[:cut]
		v, ok, err := r.Resolve(short)
		if err != nil {
			return nil, false, &EvalError{Expr: e.Raw, Msg: "cannot resolve", Err: err}
		}
		if !ok {
			continue
		}
		if v, ok = walk(v, full[cut+1:]); !ok {
			return nil, false, nil
		}
		return v, true, nil
	}
	return nil, false, nil
}

// walk follows a dotted path of members and array indexes.
func walk(v any, path string) (any, bool) {
	for {
		seg, rest, more := strings.Cut(path, ".")
		var ok bool
		if v, ok = member(v, seg); !ok {
			return nil, false
		}
		if !more {
			return v, true
		}
		path = rest
	}
}

// member looks up an object member, or an array element when seg is an index.
func member(v any, seg string) (any, bool) {
	switch c := v.(type) {
	case map[string]any:
		x, ok := c[seg]
		return x, ok
	case map[any]any:
		x, ok := c[seg]
		return x, ok
	case []any:
		n, ok := index(seg)
		if !ok || n >= len(c) {
			return nil, false
		}
		return c[n], true
	}
	return nil, false
}

func index(seg string) (int, bool) {
	if seg == "" || len(seg) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return 0, false
		}
		n = n*10 + int(seg[i]-'0')
	}
	return n, true
}
