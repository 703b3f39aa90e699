package lazyregexp

import (
	"strings"
	"sync"
	"testing"
)

func TestCompilesOnFirstUseOnce(t *testing.T) {
	r := New(`^a+(b)$`)
	if r.re != nil {
		t.Fatal("compiled before first use")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !r.MatchString("aab") || r.MatchString("b") {
				t.Error("wrong match")
			}
		})
	}
	wg.Wait()
	first := r.Get()
	if r.Get() != first {
		t.Error("compiled twice")
	}
	if got := r.FindStringSubmatch("aab"); len(got) != 2 || got[1] != "b" {
		t.Errorf("FindStringSubmatch = %q", got)
	}
}

func TestCheckNamesABadExpression(t *testing.T) {
	bad := New(`a(`)
	err := Check()
	if err == nil || !strings.Contains(err.Error(), "a(") {
		t.Fatalf("Check() = %v, want the bad expression named", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("using a bad expression did not panic")
		}
	}()
	bad.MatchString("x")
}
