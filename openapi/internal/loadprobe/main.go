// Command loadprobe loads one OpenAPI description and looks up operations, so
// that the cold-start cost of the openapi package can be measured on its own:
//
//	go build -o /tmp/loadprobe ./openapi/internal/loadprobe
//	/usr/bin/time -v /tmp/loadprobe okta-openapi-original.yml enrollFactor resetFactors
package main

import (
	"fmt"
	"os"

	"github.com/trama-dev/trama/openapi"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadprobe DESCRIPTION [operationId...]")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	d, err := openapi.Load(data, os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s: OpenAPI %s, %d operations, mode %s\n", d.Location(), d.Version(), len(d.Operations()), d.Mode())
	for _, id := range os.Args[2:] {
		op, err := d.Operation(id)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%s: %s %s, %d parameters\n", op.ID, op.Method, op.Path, len(op.Parameters))
	}
}
