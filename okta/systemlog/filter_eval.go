package systemlog

import (
	"reflect"
	"strings"
	"sync"

	"github.com/trama-dev/trama/okta"
)

// Match reports whether v satisfies the filter. v is any value with a JSON form: an okta.LogEvent (or
// a pointer to one), or the generic result of decoding JSON into an `any`. Attribute paths follow JSON
// field names, so `debugContext.debugData.requestUri` works on both. A path that crosses an array
// matches when any element matches.
//
// String comparisons ignore case, as SCIM's default for attributes that are not case-exact. ne is the
// negation of eq, so `target.id ne "x"` keeps events where no target has id x, including events with
// no target at all. gt, ge, lt and le compare strings lexically and numbers numerically; other type
// combinations never match.
func (f *Filter) Match(v any) bool {
	return eval(f.root, reflect.ValueOf(v))
}

// MatchEvent is Match for a LogEvent without boxing it into an interface.
func (f *Filter) MatchEvent(e *okta.LogEvent) bool {
	return eval(f.root, reflect.ValueOf(e).Elem())
}

func eval(n node, v reflect.Value) bool {
	switch n := n.(type) {
	case andNode:
		return eval(n.left, v) && eval(n.right, v)
	case orNode:
		return eval(n.left, v) || eval(n.right, v)
	case notNode:
		return !eval(n.inner, v)
	case compareNode:
		switch n.op {
		case OpNe:
			if n.value.kind == litNull {
				return anyValue(v, n.path, present)
			}
			return !anyValue(v, n.path, func(x reflect.Value) bool { return compare(OpEq, x, n.value) })
		case OpPr:
			return anyValue(v, n.path, present)
		case OpEq:
			if n.value.kind == litNull {
				return !anyValue(v, n.path, present)
			}
		}
		return anyValue(v, n.path, func(x reflect.Value) bool { return compare(n.op, x, n.value) })
	}
	return false
}

// anyValue walks path from v and reports whether fn holds for any value reached. Arrays fan out at
// any depth, pointers and interfaces are followed, and nil ends the walk.
func anyValue(v reflect.Value, path []string, fn func(reflect.Value) bool) bool {
	v = indirect(v)
	if !v.IsValid() {
		return false
	}
	if v.Kind() == reflect.Slice || v.Kind() == reflect.Array {
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return false // []byte has no JSON path meaning here
		}
		for i := range v.Len() {
			if anyValue(v.Index(i), path, fn) {
				return true
			}
		}
		return false
	}
	if len(path) == 0 {
		return fn(v)
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			return false
		}
		i, ok := fieldIndex(v.Type(), path[0])
		if !ok {
			return false
		}
		return anyValue(v.Field(i), path[1:], fn)
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return false
		}
		x := v.MapIndex(reflect.ValueOf(path[0]).Convert(v.Type().Key()))
		if !x.IsValid() {
			return false
		}
		return anyValue(x, path[1:], fn)
	}
	return false
}

func indirect(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

var timeType = reflect.TypeFor[okta.Time]()

// fieldIndexes caches, per struct type, the field index of each JSON name, because looking tags up on
// every event would dominate filtered queries.
var fieldIndexes sync.Map // reflect.Type → map[string]int

func fieldIndex(t reflect.Type, name string) (int, bool) {
	m, ok := fieldIndexes.Load(t)
	if !ok {
		idx := map[string]int{}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			jsonName, _, _ := strings.Cut(tag, ",")
			if jsonName == "-" {
				continue
			}
			if jsonName == "" {
				jsonName = f.Name
			}
			idx[jsonName] = i
		}
		m, _ = fieldIndexes.LoadOrStore(t, idx)
	}
	i, ok := m.(map[string]int)[name]
	return i, ok
}

// present is SCIM's pr: a value that is not null and not empty.
func present(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String, reflect.Map, reflect.Slice:
		return v.Len() > 0
	}
	return v.IsValid()
}

func compare(op Operator, v reflect.Value, lit literal) bool {
	switch v.Kind() {
	case reflect.String:
		if lit.kind != litString {
			return false
		}
		return compareString(op, v.String(), lit)
	case reflect.Float32, reflect.Float64:
		return lit.kind == litNumber && compareNumber(op, v.Float(), lit.num)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return lit.kind == litNumber && compareNumber(op, float64(v.Int()), lit.num)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return lit.kind == litNumber && compareNumber(op, float64(v.Uint()), lit.num)
	case reflect.Bool:
		return lit.kind == litBool && op == OpEq && v.Bool() == lit.b
	case reflect.Struct:
		if v.Type() == timeType && lit.kind == litString {
			t := v.Interface().(okta.Time)
			if t.IsZero() {
				return false
			}
			return compareString(op, t.UTC().Format(okta.TimeLayout), lit)
		}
	}
	return false
}

func compareString(op Operator, s string, lit literal) bool {
	switch op {
	case OpEq:
		return strings.EqualFold(s, lit.str)
	case OpSw:
		return len(s) >= len(lit.str) && strings.EqualFold(s[:len(lit.str)], lit.str)
	case OpEw:
		return len(s) >= len(lit.str) && strings.EqualFold(s[len(s)-len(lit.str):], lit.str)
	case OpCo:
		return containsFold(s, lit.lower)
	}
	c := strings.Compare(strings.ToLower(s), lit.lower)
	switch op {
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	}
	return false
}

// containsFold reports whether s contains lowerSub, ignoring case; it avoids allocating for the common
// all-ASCII lower-case value.
func containsFold(s, lowerSub string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || (c >= 'A' && c <= 'Z') {
			return strings.Contains(strings.ToLower(s), lowerSub)
		}
	}
	return strings.Contains(s, lowerSub)
}

func compareNumber(op Operator, x, y float64) bool {
	switch op {
	case OpEq:
		return x == y
	case OpGt:
		return x > y
	case OpGe:
		return x >= y
	case OpLt:
		return x < y
	case OpLe:
		return x <= y
	}
	return false
}
