package expr

// Eval evaluates the condition. An error means the condition could not be
// evaluated (a resolver failed, a pointer is malformed, values cannot be
// ordered); the criterion then fails and the
// error, which names the expression, goes into the run report (1.1
// l.1036–1044). "&&" and "||" short-circuit left to right.
func (c *Condition) Eval(r Resolver) (bool, error) {
	return evalNode(c.root, r)
}

func evalNode(n *node, r Resolver) (bool, error) {
	switch n.kind {
	case nodeOr:
		l, err := evalNode(n.left, r)
		if err != nil || l {
			return l, err
		}
		return evalNode(n.right, r)
	case nodeAnd:
		l, err := evalNode(n.left, r)
		if err != nil || !l {
			return false, err
		}
		return evalNode(n.right, r)
	case nodeNot:
		v, err := evalNode(n.left, r)
		return !v && err == nil, err
	case nodeTest:
		v, ok, err := n.a.value(r)
		if err != nil {
			return false, err
		}
		return truth(v, ok), nil
	}
	a, aok, err := n.a.value(r)
	if err != nil {
		return false, err
	}
	b, bok, err := n.b.value(r)
	if err != nil {
		return false, err
	}
	return compare(n, a, aok, b, bok)
}

func (o *operand) value(r Resolver) (any, bool, error) {
	if o.kind == operandLiteral {
		return o.lit, true, nil
	}
	v, ok, err := Eval(o.expr, r)
	if err != nil || !ok {
		return nil, false, err
	}
	for _, st := range o.nav {
		if st.isIdx {
			arr, isArr := v.([]any)
			if !isArr || st.index >= len(arr) {
				return nil, false, nil
			}
			v = arr[st.index]
			continue
		}
		if v, ok = member(v, st.member); !ok {
			return nil, false, nil
		}
	}
	return v, true, nil
}

// truth decides a value standing alone. 1.1 passes true and fails false
// and null (l.927–937) but says nothing of other values, so trama applies
// the truthiness 1.1 spells out for XPath results (l.1006–1016), which also
// matches what authors expect from "$statusCode" alone:
//   - true passes; false, null and a missing value fail;
//   - a string "true" or "false" in any case counts as that boolean, because
//     header and query values are always strings;
//   - a number passes unless it is zero (or NaN);
//   - any other string, array or object passes unless it is empty.
func truth(v any, ok bool) bool {
	if !ok || v == nil {
		return false
	}
	switch x := v.(type) {
	case bool:
		return x
	case string:
		if b, isBool := boolString(x); isBool {
			return b
		}
		return x != ""
	case []byte:
		return len(x) > 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case map[any]any:
		return len(x) > 0
	}
	if n, isNum := asNumber(v); isNum {
		f := n.float()
		return f != 0 && f == f
	}
	return true
}

// compare applies a comparison operator (1.1 l.941–943):
//   - a missing value behaves as null; null equals only null, and "!=" is
//     always the negation of "==", so "$x != null" passes exactly when $x
//     exists and is not null (the 1.1 example at l.952);
//   - ordering null, or a value that is missing, is false;
//   - numbers compare numerically across all Go numeric kinds and
//     json.Number; a numeric string compares numerically against a number;
//   - two strings are equal when equal after Unicode case folding; they are
//     ordered numerically when both are numeric ("10" > "9") and by their
//     case-folded text otherwise. Equality stays textual so identifiers such
//     as '007' and '7' remain different;
//   - booleans equal booleans (and "true"/"false" strings in any case);
//   - objects and arrays are equal when their members are equal by these
//     rules;
//   - values of different kinds are unequal; ordering them, or ordering
//     booleans, objects or arrays, is an evaluation error.
func compare(n *node, a any, aok bool, b any, bok bool) (bool, error) {
	if !aok {
		a = nil
	}
	if !bok {
		b = nil
	}
	if a == nil || b == nil {
		eq := a == nil && b == nil
		switch n.op {
		case opEq:
			return eq, nil
		case opNe:
			return !eq, nil
		}
		return false, nil
	}
	if n.op == opEq || n.op == opNe {
		eq := equal(a, b)
		return eq == (n.op == opEq), nil
	}
	c, ok := order(a, b)
	if !ok {
		return false, &EvalError{Expr: n.a.text + " " + opText[n.op] + " " + n.b.text,
			Msg: "cannot order " + typeName(a) + " and " + typeName(b)}
	}
	switch n.op {
	case opLt:
		return c == -1, nil
	case opLe:
		return c == -1 || c == 0, nil
	case opGt:
		return c == 1, nil
	}
	return c == 1 || c == 0, nil
}

// numberOrNumericString reads v as a number, accepting numeric strings.
func numberOrNumericString(v any) (number, bool) {
	if n, ok := toNumber(v); ok {
		return n, true
	}
	if n, ok := v.(number); ok {
		return n, true
	}
	if s, ok := toString(v); ok {
		return parseNumber(s)
	}
	return number{}, false
}

func asNumber(v any) (number, bool) {
	if n, ok := v.(number); ok {
		return n, true
	}
	return toNumber(v)
}

func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	na, aNum := asNumber(a)
	nb, bNum := asNumber(b)
	sa, aStr := toString(a)
	sb, bStr := toString(b)
	switch {
	case aNum && bNum:
		return cmpNumber(na, nb) == 0
	case aNum && bStr:
		n, ok := parseNumber(sb)
		return ok && cmpNumber(na, n) == 0
	case aStr && bNum:
		n, ok := parseNumber(sa)
		return ok && cmpNumber(n, nb) == 0
	case aStr && bStr:
		return compareStrings(sa, sb) == 0
	}
	if ba, ok := a.(bool); ok {
		return boolEqual(ba, b)
	}
	if bb, ok := b.(bool); ok {
		return boolEqual(bb, a)
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		switch y := b.(type) {
		case map[string]any:
			if len(x) != len(y) {
				return false
			}
			for k, v := range x {
				w, ok := y[k]
				if !ok || !equal(v, w) {
					return false
				}
			}
			return true
		case map[any]any:
			return equal(b, a)
		}
	case map[any]any:
		var y map[string]any
		switch t := b.(type) {
		case map[string]any:
			y = t
		case map[any]any:
			y = jsonable(t).(map[string]any)
		default:
			return false
		}
		return equal(jsonable(x), y)
	}
	return false
}

func boolEqual(x bool, other any) bool {
	switch y := other.(type) {
	case bool:
		return x == y
	case string:
		b, ok := boolString(y)
		return ok && b == x
	}
	return false
}

// order returns -1, 0 or 1, and ok=false when a and b have no order.
func order(a, b any) (int, bool) {
	sa, aStr := toString(a)
	sb, bStr := toString(b)
	if aStr && bStr {
		na, aNum := parseNumber(sa)
		nb, bNum := parseNumber(sb)
		if aNum && bNum {
			c := cmpNumber(na, nb)
			return c, c != 2
		}
		return compareStrings(sa, sb), true
	}
	na, aNum := numberOrNumericString(a)
	nb, bNum := numberOrNumericString(b)
	if aNum && bNum {
		c := cmpNumber(na, nb)
		return c, c != 2
	}
	return 0, false
}
