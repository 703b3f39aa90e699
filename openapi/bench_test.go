package openapi

import "testing"

// benchmarkLoad measures what a cold `trama run` pays: Load plus the two
// operations of a typical two-step workflow.
func benchmarkLoad(b *testing.B, file string, ids ...string) {
	data := readOkta(b, file)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := Load(data, file)
		if err != nil {
			b.Fatal(err)
		}
		if d.Mode() != ModeOutline {
			b.Fatalf("mode %v: %s", d.Mode(), d.FallbackReason())
		}
		for _, id := range ids {
			if _, err := d.Operation(id); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkLoadOriginal(b *testing.B) {
	benchmarkLoad(b, "okta-openapi-original.yml", "enrollFactor", "resetFactors")
}

func BenchmarkLoadCurrent(b *testing.B) {
	benchmarkLoad(b, "management-current.yaml", "enrollFactor", "unenrollFactor")
}

// BenchmarkLoadOriginalFull is the kin-openapi load the outline replaces.
func BenchmarkLoadOriginalFull(b *testing.B) {
	data := readOkta(b, "okta-openapi-original.yml")
	b.ReportAllocs()
	for b.Loop() {
		d, err := LoadWithOptions(data, "original", Options{Full: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Operation("enrollFactor"); err != nil {
			b.Fatal(err)
		}
	}
}
