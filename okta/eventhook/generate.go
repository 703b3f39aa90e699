package eventhook

//go:generate go run ./internal/geneligible -catalog ../../../shared/okta/event-types.json -out eligible_types.go
