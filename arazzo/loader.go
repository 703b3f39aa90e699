package arazzo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/asyncapi"
	"github.com/trama-dev/trama/openapi"
)

// DefaultMaxBytes caps how much of one description trama reads: 20 MiB is
// several times the largest real OpenAPI description trama has met (Okta's
// management API, 3.5 MB) and still small enough that a hostile URL cannot
// exhaust memory.
const DefaultMaxBytes = 20 << 20

// defaultFetchTimeout bounds one remote fetch when Loader.HTTPClient is nil.
const defaultFetchTimeout = 10 * time.Second

// Loader reads an Arazzo document and every source description it refers
// to. A Loader caches what it loaded by absolute path or URL, so a
// description used by many workflows in one process is read and parsed once;
// it is safe for concurrent use. The zero Loader is ready to use.
type Loader struct {
	// Sources overrides the url of the entry document's source descriptions
	// by name (trama's --source NAME=PATH|URL). Relative paths are relative
	// to the working directory, because the user typed them there. Nested
	// Arazzo documents keep their own urls: source names are scoped to the
	// document that declares them.
	Sources map[string]string
	// HTTPClient fetches remote descriptions; nil means a client with a 10 s
	// timeout.
	HTTPClient *http.Client
	// MaxBytes caps the size of one description; 0 means DefaultMaxBytes.
	MaxBytes int64
	// AllowHTTP lets urls written inside documents point at any http(s)
	// location. Default false: a description from an untrusted place must
	// not make trama fetch arbitrary URLs (Arazzo 1.0.1 "Security
	// Considerations"). Without it, remote locations are still read when
	// the user gave them (the path passed to Load, Sources overrides) and
	// when they share scheme and host with a remote entry document.
	AllowHTTP bool
	// Read, when set, reads every location instead of the file system and HTTP: `trama serve` loads a
	// workflow pinned by a run from the documents its store keeps.
	Read func(ctx context.Context, location string) ([]byte, error)

	mu    sync.Mutex
	cache map[string]*cacheEntry
}

type cacheEntry struct {
	ready chan struct{}
	data  []byte
	err   error

	// Parsed forms, filled once under their own once so a location used both
	// as openapi and as arazzo (a broken document) is still safe.
	oaOnce sync.Once
	oa     *openapi.Document
	oaErr  error
	aaOnce sync.Once
	aa     *asyncapi.Document
	aaErr  error
	azOnce sync.Once
	az     *Document
	azDiag []Diagnostic
	azErr  error
}

// Source is one loaded source description.
type Source struct {
	// Name is the source description's name in the document that declares
	// it.
	Name string
	// Type is "openapi", "asyncapi" or "arazzo": the declared type, or the
	// one the content showed when the type was omitted.
	Type string
	// Location is the absolute path or URL that was read.
	Location string
	// Description is the Source Description Object that named it.
	Description *SourceDescription
	// OpenAPI is set for openapi sources.
	OpenAPI *openapi.Document
	// AsyncAPI is set for asyncapi sources (Arazzo 1.1).
	AsyncAPI *asyncapi.Document
	// Arazzo is set for arazzo sources.
	Arazzo *Document
}

// Bundle is an entry document with every source description it needs,
// loaded.
type Bundle struct {
	Root *Document
	// Sources are the entry document's sources by name. Sources that failed
	// to load are absent; Diagnostics says why.
	Sources map[string]*Source
	// Documents is the entry document followed by every nested Arazzo
	// document, each once.
	Documents []*Document
	// Diagnostics holds what parsing and loading found: wrong fields,
	// unreadable or cyclic sources. Validate adds the semantic checks.
	Diagnostics []Diagnostic
	// Location is the entry document's absolute path or URL, and Files
	// the content of every location the bundle read, by location: what a
	// run needs to load exactly this bundle again.
	Location string
	Files    map[string][]byte

	sources map[*Document]map[string]*Source
}

// SourcesOf returns the loaded sources of doc by name; doc must be one of
// b.Documents.
func (b *Bundle) SourcesOf(doc *Document) map[string]*Source { return b.sources[doc] }

// Load reads the Arazzo document at path (a file path or an http(s) URL)
// and its source descriptions, recursively. It returns an error only when
// the entry document cannot be read or is not YAML or JSON; problems in
// sources become Bundle.Diagnostics so that one run reports all of them.
func (l *Loader) Load(ctx context.Context, path string) (*Bundle, error) {
	loc, err := absLocation(path)
	if err != nil {
		return nil, err
	}
	doc, diags, err := l.arazzo(ctx, loc)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Root: doc, Location: loc, Files: map[string][]byte{loc: l.fetch(ctx, loc).data},
		sources: make(map[*Document]map[string]*Source)}
	b.Diagnostics = append(b.Diagnostics, diags...)
	b.Documents = append(b.Documents, doc)
	w := walk{b: b, origin: origin(loc)}
	l.loadSources(ctx, &w, doc, loc, []string{loc}, true)
	b.Sources = b.sources[doc]
	sortDiagnostics(b.Diagnostics)
	return b, nil
}

// walk is the state of one Load.
type walk struct {
	b      *Bundle
	origin string // scheme://host of a remote entry document, else ""
}

// origin returns scheme://host of a remote location, or "".
func origin(loc string) string {
	if !isRemote(loc) {
		return ""
	}
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (l *Loader) loadSources(ctx context.Context, w *walk, doc *Document, loc string, stack []string, root bool) {
	b := w.b
	if _, done := b.sources[doc]; done {
		return
	}
	srcs := make(map[string]*Source)
	b.sources[doc] = srcs
	ds := diagnostics{file: doc.File}
	defer func() { b.Diagnostics = append(b.Diagnostics, ds.list...) }()

	base := loc
	if doc.Self != "" {
		if s, err := resolveLocation(loc, doc.Self); err == nil {
			base = s
		}
	}
	for _, sd := range doc.SourceDescriptions {
		if sd.Name == "" || sd.URL == "" || srcs[sd.Name] != nil {
			continue // reported by Parse or Validate
		}
		var target string
		var err error
		trusted := false
		if over, ok := l.Sources[sd.Name]; ok && root {
			target, err = absLocation(over)
			trusted = true
		} else {
			target, err = resolveLocation(base, sd.URL)
		}
		if err != nil {
			ds.errorf(sd.Pos("url"), "source-load", "source %q: %v", sd.Name, err)
			continue
		}
		if isRemote(target) && !trusted && !l.AllowHTTP && (w.origin == "" || origin(target) != w.origin) {
			ds.errorf(sd.Pos("url"), "source-load", "source %q: %s is remote and remote sources are not allowed here; allow them (trama: leave out --no-remote-sources) or override the source with a local file (--source NAME=PATH)", sd.Name, redactLocation(target))
			continue
		}
		if !isRemote(target) && isRemote(loc) && !trusted {
			ds.errorf(sd.Pos("url"), "source-load", "source %q: a remote document may not refer to local file %s", sd.Name, target)
			continue
		}
		typ := sd.Type
		if typ != "" && typ != "openapi" && typ != "asyncapi" && typ != "arazzo" {
			ds.errorf(sd.Pos("type"), "source-type", "source %q has type %q; trama reads openapi, asyncapi and arazzo sources", sd.Name, typ)
			continue
		}
		e := l.fetch(ctx, target)
		if e.err != nil {
			ds.errorf(sd.Pos("url"), "source-load", "source %q: %v", sd.Name, e.err)
			continue
		}
		b.Files[target] = e.data
		if typ == "" {
			typ = sniffType(e.data)
		}
		src := &Source{Name: sd.Name, Type: typ, Location: target, Description: sd}
		switch typ {
		case "openapi":
			// The openapi package names the location in its errors; give it
			// one without credentials.
			e.oaOnce.Do(func() { e.oa, e.oaErr = openapi.Load(e.data, redactLocation(target)) })
			if e.oaErr != nil {
				ds.errorf(sd.Pos("url"), "source-load", "source %q: %v", sd.Name, e.oaErr)
				continue
			}
			src.OpenAPI = e.oa
		case "asyncapi":
			e.aaOnce.Do(func() { e.aa, e.aaErr = asyncapi.Load(e.data, redactLocation(target)) })
			if e.aaErr != nil {
				ds.errorf(sd.Pos("url"), "source-load", "source %q: %v", sd.Name, e.aaErr)
				continue
			}
			src.AsyncAPI = e.aa
		case "arazzo":
			if onStack(stack, target) {
				ds.errorf(sd.Pos("url"), "source-cycle", "source %q: %s refers back to itself through %s", sd.Name, redactLocation(target), cyclePath(stack, target))
				continue
			}
			nested, diags, err := l.arazzoFrom(e, target)
			if err != nil {
				ds.errorf(sd.Pos("url"), "source-load", "source %q: %v", sd.Name, err)
				continue
			}
			src.Arazzo = nested
			if _, seen := b.sources[nested]; !seen {
				b.Documents = append(b.Documents, nested)
				b.Diagnostics = append(b.Diagnostics, diags...)
				l.loadSources(ctx, w, nested, target, append(stack[:len(stack):len(stack)], target), false)
			}
		}
		srcs[sd.Name] = src
	}
}

func onStack(stack []string, loc string) bool {
	for _, s := range stack {
		if s == loc {
			return true
		}
	}
	return false
}

func cyclePath(stack []string, loc string) string {
	parts := make([]string, 0, len(stack)+1)
	for _, s := range stack {
		parts = append(parts, redactLocation(s))
	}
	return strings.Join(append(parts, redactLocation(loc)), " -> ")
}

// sniffType decides the type of a source description that does not declare
// one: an `arazzo` key at the top means Arazzo, an `asyncapi` key AsyncAPI,
// anything else is treated as OpenAPI.
func sniffType(data []byte) string {
	if asyncapi.Sniff(data) {
		return "asyncapi"
	}
	var top map[string]yaml.Node
	if yaml.Unmarshal(data, &top) == nil {
		if _, ok := top["arazzo"]; ok {
			return "arazzo"
		}
	}
	return "openapi"
}

func (l *Loader) arazzo(ctx context.Context, loc string) (*Document, []Diagnostic, error) {
	e := l.fetch(ctx, loc)
	if e.err != nil {
		return nil, nil, e.err
	}
	return l.arazzoFrom(e, loc)
}

func (l *Loader) arazzoFrom(e *cacheEntry, loc string) (*Document, []Diagnostic, error) {
	e.azOnce.Do(func() { e.az, e.azDiag, e.azErr = Parse(e.data, displayLocation(loc)) })
	return e.az, e.azDiag, e.azErr
}

// fetch returns the cache entry for loc, reading it on first use. Concurrent
// callers for the same location wait for one read.
func (l *Loader) fetch(ctx context.Context, loc string) *cacheEntry {
	l.mu.Lock()
	if l.cache == nil {
		l.cache = make(map[string]*cacheEntry)
	}
	e, ok := l.cache[loc]
	if ok {
		l.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return &cacheEntry{err: ctx.Err()}
		}
		return e
	}
	e = &cacheEntry{ready: make(chan struct{})}
	l.cache[loc] = e
	l.mu.Unlock()

	e.data, e.err = l.read(ctx, loc)
	if e.err != nil && ctx.Err() != nil {
		// A cancelled read says nothing about the location; let the next
		// caller try again.
		l.mu.Lock()
		delete(l.cache, loc)
		l.mu.Unlock()
	}
	close(e.ready)
	return e
}

func (l *Loader) maxBytes() int64 {
	if l.MaxBytes > 0 {
		return l.MaxBytes
	}
	return DefaultMaxBytes
}

func (l *Loader) read(ctx context.Context, loc string) ([]byte, error) {
	if l.Read != nil {
		return l.Read(ctx, loc)
	}
	if isRemote(loc) {
		return l.readHTTP(ctx, loc)
	}
	path := strings.TrimPrefix(loc, "file://")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	return l.readAll(f, path)
}

func (l *Loader) readHTTP(ctx context.Context, loc string) ([]byte, error) {
	shown := redactLocation(loc)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", shown, errors.Unwrap(err))
	}
	req.Header.Set("Accept", "application/yaml, application/json;q=0.9, */*;q=0.5")
	client := l.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultFetchTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error repeats the full URL; name the redacted one instead.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("fetch %s: %w", shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: HTTP %s", shown, resp.Status)
	}
	return l.readAll(resp.Body, shown)
}

func (l *Loader) readAll(r io.Reader, shown string) ([]byte, error) {
	max := l.maxBytes()
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", shown, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("read %s: larger than %d bytes", shown, max)
	}
	return data, nil
}

func isRemote(loc string) bool {
	return strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")
}

// absLocation turns what a user typed (a path or a URL) into a cache key.
func absLocation(p string) (string, error) {
	if isRemote(p) {
		u, err := url.Parse(p)
		if err != nil {
			return "", fmt.Errorf("location %q: %w", p, err)
		}
		u.Fragment = ""
		return u.String(), nil
	}
	p = strings.TrimPrefix(p, "file://")
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("location %q: %w", p, err)
	}
	return abs, nil
}

// resolveLocation resolves ref against the location of the referring
// document, as RFC 3986 does for URLs and as a relative path does for files.
func resolveLocation(base, ref string) (string, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("url %q: %w", ref, err)
	}
	u.Fragment = ""
	switch {
	case u.Scheme == "http" || u.Scheme == "https":
		return u.String(), nil
	case u.Scheme == "file":
		return filepath.Clean(u.Path), nil
	case u.Scheme != "":
		return "", fmt.Errorf("url %q: scheme %q is not supported", ref, u.Scheme)
	}
	if isRemote(base) {
		b, err := url.Parse(base)
		if err != nil {
			return "", fmt.Errorf("base %q: %w", redactLocation(base), err)
		}
		return b.ResolveReference(u).String(), nil
	}
	p := u.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(base), p)
	}
	return filepath.Clean(p), nil
}

// redactLocation hides credentials a URL may carry so that they never reach
// diagnostics or logs.
func redactLocation(loc string) string {
	if !isRemote(loc) {
		return loc
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "(unparseable url)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.Redacted()
}

// displayLocation is how diagnostics name a document: a path relative to
// the working directory when that is shorter, else the absolute path or
// redacted URL.
func displayLocation(loc string) string {
	if isRemote(loc) {
		return redactLocation(loc)
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, loc); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return loc
}
