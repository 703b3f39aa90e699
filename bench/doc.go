// Package bench measures trama on the machine it runs on, end to end over loopback HTTP: the load
// harness behind `trama bench`. Its numbers go in docs/performance.md; Go benchmarks (go test -bench)
// measure the parts.
package bench
