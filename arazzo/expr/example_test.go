package expr_test

import (
	"fmt"

	"github.com/trama-dev/trama/arazzo/expr"
)

func ExampleParseTemplate() {
	values := expr.ResolverFunc(func(e expr.Expr) (any, bool, error) {
		if e.Root == expr.RootInputs && e.Name == "oktaApiToken" {
			return "TOKEN", true, nil
		}
		return nil, false, nil
	})
	t, err := expr.ParseTemplate("SSWS $inputs.oktaApiToken", expr.Compat)
	if err != nil {
		panic(err)
	}
	v, _ := t.Eval(values)
	fmt.Println(v)
	for _, b := range t.BareUses() {
		fmt.Printf("bytes %d-%d: write %s\n", b.Start, b.End, b.Suggestion)
	}
	// Output:
	// SSWS TOKEN
	// bytes 5-25: write {$inputs.oktaApiToken}
}

func ExampleParseCondition() {
	values := expr.ResolverFunc(func(e expr.Expr) (any, bool, error) {
		switch e.Root {
		case expr.RootStatusCode:
			return 200, true, nil
		case expr.RootResponse:
			return map[string]any{"status": "ACTIVE"}, true, nil
		}
		return nil, false, nil
	})
	c, err := expr.ParseCondition("$statusCode == 200 && $response.body#/status == 'active'", expr.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Eval(values))
	_, err = expr.ParseCondition("$inptus.limit > 3", expr.Options{})
	fmt.Println(err)
	// Output:
	// true <nil>
	// "$inptus.limit > 3" at offset 1: unknown root $inptus; did you mean $inputs?
}
