package suggest

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"inputs", "steps", "when", "ignoreActor", "successCriteria"}
	for w, want := range map[string]string{
		"inptus": "inputs", "Inputs": "inputs", "wehn": "when", "ignoreactor": "ignoreActor",
		"successCriterias": "successCriteria", "zzz": "", "": "", "stepz": "steps", "ignore": "ignoreActor", "s": "",
	} {
		if got := Closest(w, cands); got != want {
			t.Errorf("Closest(%q) = %q, want %q", w, got, want)
		}
	}
}

func FuzzDistance(f *testing.F) {
	f.Add("kitten", "sitting")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := Distance(a, b)
		if d != Distance(b, a) || (a == b && d != 0) || d < 0 {
			t.Fatalf("Distance(%q, %q) = %d", a, b, d)
		}
	})
}
