package criterion

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

// countNodes returns how many yaml nodes v becomes (a map member costs a key and a value node), or
// false when v holds a type encoding/json does not produce.
func countNodes(v any) (int, bool) {
	switch t := v.(type) {
	case map[string]any:
		n := 1
		for _, e := range t {
			c, ok := countNodes(e)
			if !ok {
				return 0, false
			}
			n += 1 + c
		}
		return n, true
	case []any:
		n := 1
		for _, e := range t {
			c, ok := countNodes(e)
			if !ok {
				return 0, false
			}
			n += c
		}
		return n, true
	case nil, string, bool, json.Number, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64:
		return 1, true
	}
	return 0, false
}

// nodeBuilder fills a tree from two preallocated slabs, one for nodes and one for child pointers, so a
// large response body costs two allocations instead of one per value.
type nodeBuilder struct {
	nodes    []yaml.Node
	children []*yaml.Node
}

func (b *nodeBuilder) next() *yaml.Node {
	n := &b.nodes[0]
	b.nodes = b.nodes[1:]
	return n
}

func (b *nodeBuilder) take(k int) []*yaml.Node {
	c := b.children[:k:k]
	b.children = b.children[k:]
	return c
}

// build converts v, which countNodes accepted, using exactly the nodes it counted.
func (b *nodeBuilder) build(v any) *yaml.Node {
	n := b.next()
	switch t := v.(type) {
	case map[string]any:
		n.Kind, n.Tag = yaml.MappingNode, "!!map"
		// Sorted keys make nodelist order, and so the result of order-sensitive queries, repeatable.
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		n.Content = b.take(2 * len(keys))
		for i, k := range keys {
			key := b.next()
			key.Kind, key.Tag, key.Value = yaml.ScalarNode, "!!str", k
			n.Content[2*i] = key
			n.Content[2*i+1] = b.build(t[k])
		}
	case []any:
		n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
		n.Content = b.take(len(t))
		for i, e := range t {
			n.Content[i] = b.build(e)
		}
	default:
		n.Kind = yaml.ScalarNode
		n.Tag, n.Value = scalar(t)
	}
	return n
}

// maxExactInt is the largest integer a float64 holds exactly.
const maxExactInt = 1 << 53

// scalar returns the yaml tag and text of a JSON scalar. Integral numbers become !!int so that 1 and
// 1.0 compare equal as RFC 9535 requires; other numbers become !!float in shortest form.
func scalar(v any) (tag, value string) {
	switch t := v.(type) {
	case nil:
		return "!!null", "null"
	case string:
		return "!!str", t
	case bool:
		return "!!bool", strconv.FormatBool(t)
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return "!!int", strconv.FormatInt(i, 10)
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			// Not a number after all (json.Number is only a string type); keep the text.
			return "!!str", string(t)
		}
		return floatScalar(f)
	case float64:
		return floatScalar(t)
	case float32:
		return floatScalar(float64(t))
	case int:
		return "!!int", strconv.Itoa(t)
	case int8:
		return "!!int", strconv.Itoa(int(t))
	case int16:
		return "!!int", strconv.Itoa(int(t))
	case int32:
		return "!!int", strconv.Itoa(int(t))
	case int64:
		return "!!int", strconv.FormatInt(t, 10)
	case uint8:
		return "!!int", strconv.Itoa(int(t))
	case uint16:
		return "!!int", strconv.Itoa(int(t))
	case uint32:
		return "!!int", strconv.FormatUint(uint64(t), 10)
	case uint:
		return uintScalar(uint64(t))
	case uint64:
		return uintScalar(t)
	}
	return "!!null", "null"
}

func uintScalar(u uint64) (string, string) {
	if u <= math.MaxInt64 {
		return "!!int", strconv.FormatUint(u, 10)
	}
	return floatScalar(float64(u))
}

func floatScalar(f float64) (string, string) {
	if f == math.Trunc(f) && math.Abs(f) <= maxExactInt {
		return "!!int", strconv.FormatInt(int64(f), 10)
	}
	return "!!float", strconv.FormatFloat(f, 'g', -1, 64)
}
