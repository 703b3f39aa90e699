package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/internal/suggest"
)

// parsePairs turns repeated NAME=VALUE flags into a map; the error names the flag and the bad entry.
func parsePairs(flag string, entries []string) (map[string]string, error) {
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		name, value, ok := strings.Cut(e, "=")
		if !ok || name == "" {
			return nil, usageErr("--%s %q: want NAME=VALUE", flag, e)
		}
		out[name] = value
	}
	return out, nil
}

// outputFormat checks an --output/--format value.
func outputFormat(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return usageErr("--%s %q: want one of %s", flag, value, strings.Join(allowed, ", "))
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// textValue shows a value on one line: strings as they are, everything else as JSON.
func textValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// serverURL checks a --server URL: http(s), or nats:// and tls:// for AsyncAPI sources on NATS. host:port without a scheme is taken as http:// for a loopback host
// (the emulator, a local API), and refused with what to write for any other host, rather than failing
// later with a parser's message.
func serverURL(name, raw string) (string, error) {
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || !slices.Contains([]string{"http", "https", "nats", "tls"}, u.Scheme) {
			return "", usageErr("--server %s=%s: want an http:// or https:// URL, e.g. https://example.okta.com (nats:// for an AsyncAPI source on NATS)", name, raw)
		}
		return raw, nil
	}
	host, _, err := net.SplitHostPort(strings.SplitN(raw, "/", 2)[0])
	if err != nil {
		return "", usageErr("--server %s=%s: want a URL with a scheme, e.g. https://%s", name, raw, raw)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return "http://" + raw, nil
	}
	return "", usageErr("--server %s=%s: want a URL with a scheme, e.g. https://%s (a bare host:port is taken as http:// only on loopback)", name, raw, raw)
}

// checkSourceNames refuses --source names the document does not declare: the override would be ignored.
func checkSourceNames(doc *arazzo.Document, sources map[string]string) error {
	var known []string
	for _, sd := range doc.SourceDescriptions {
		known = append(known, sd.Name)
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		if slices.Contains(known, name) {
			continue
		}
		msg := fmt.Sprintf("--source %s: the document has no source description named %q", name, name)
		if s := suggest.Closest(name, known); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		problems = append(problems, msg+" (it has: "+strings.Join(known, ", ")+")")
	}
	if len(problems) > 0 {
		return usageErr("%s", strings.Join(problems, "\n"))
	}
	return nil
}
