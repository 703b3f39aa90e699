package criterion

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/antchfx/xmlquery"
	"github.com/antchfx/xpath"
)

// xmlItem is one node an XPath expression selected: an element, text or root node, or attribute attr
// of an element.
type xmlItem struct {
	node  *xmlquery.Node
	attr  string // the attribute's qualified name; "" for a node
	kind  xpath.NodeType
	value string // the node's value as a selector yields it
	order [2]int // document order: the node's position, then 1 + the attribute's index
}

// parseXML reads the XML text a selector or target applies to.
func parseXML(context any, what string) (*xmlquery.Node, error) {
	var text string
	switch v := context.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return nil, fmt.Errorf("an xpath %s needs XML text, but the %s is %s (JSON): use a jsonpath or jsonpointer %s",
			what, subject(what), typeName(context), what)
	}
	doc, err := xmlquery.Parse(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("the %s is not XML: %w", subject(what), err)
	}
	return doc, nil
}

// subject names what a selector or a target applies to.
func subject(what string) string {
	if what == "target" {
		return "payload"
	}
	return "context"
}

// evaluateXML runs the expression on doc and returns either a value (a number, string or boolean
// result) or the selected nodes in document order, without duplicates. Like evaluate, it turns the
// engine's evaluation panics into errors.
func (c *xpathCondition) evaluateXML(doc *xmlquery.Node) (value any, items []xmlItem, err error) {
	defer func() {
		if r := recover(); r != nil {
			value, items, err = nil, nil, fmt.Errorf("xpath %q failed: %v", c.text, r)
		}
	}()
	switch v := c.expr.Evaluate(xmlquery.CreateXPathNavigator(doc)).(type) {
	case bool, string:
		return v, nil, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, fmt.Errorf("xpath %q evaluated to %v, which is not a JSON number", c.text, v)
		}
		if v == math.Trunc(v) && math.Abs(v) <= maxExactInt {
			return int(v), nil, nil
		}
		return v, nil, nil
	case *xpath.NodeIterator:
		order := documentOrder(doc)
		seen := map[[2]int]bool{}
		for v.MoveNext() {
			nav, ok := v.Current().(*xmlquery.NodeNavigator)
			if !ok {
				continue
			}
			it := xmlItem{node: nav.Current(), kind: nav.NodeType(), order: [2]int{order[nav.Current()], 0}}
			if it.kind == xpath.AttributeNode {
				it.attr = nav.LocalName()
				if p := nav.Prefix(); p != "" {
					it.attr = p + ":" + it.attr
				}
				it.order[1] = 1 + slices.IndexFunc(it.node.Attr, func(a xmlquery.Attr) bool {
					return a.Name.Local == nav.LocalName() && a.Name.Space == nav.Prefix()
				})
			}
			if seen[it.order] {
				continue
			}
			seen[it.order] = true
			it.value = xmlNodeValue(nav)
			items = append(items, it)
		}
		slices.SortFunc(items, func(a, b xmlItem) int {
			if c := cmp.Compare(a.order[0], b.order[0]); c != 0 {
				return c
			}
			return cmp.Compare(a.order[1], b.order[1])
		})
		return nil, items, nil
	default:
		return nil, nil, fmt.Errorf("xpath %q returned an unexpected %T", c.text, v)
	}
}

// documentOrder numbers every node of the document in document order.
func documentOrder(doc *xmlquery.Node) map[*xmlquery.Node]int {
	order := map[*xmlquery.Node]int{}
	var walk func(n *xmlquery.Node)
	walk = func(n *xmlquery.Node) {
		order[n] = len(order)
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return order
}

// xmlNodeValue is what a selected node yields: the text of an attribute, a text node or an element
// without child elements; the XML of an element with child elements, so that it can be the context of
// a further xpath selector; the whole document for the root.
func xmlNodeValue(nav *xmlquery.NodeNavigator) string {
	n := nav.Current()
	switch nav.NodeType() {
	case xpath.RootNode:
		return n.OutputXML(false)
	case xpath.ElementNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == xmlquery.ElementNode {
				return n.OutputXML(true)
			}
		}
		return n.InnerText()
	}
	return nav.Value()
}

// selectXML is Select for xpath.
func (s *Selector) selectXML(context any) (any, bool, error) {
	if context == nil {
		return nil, false, nil
	}
	doc, err := parseXML(context, s.what)
	if err != nil {
		return nil, false, err
	}
	value, items, err := s.xpath.evaluateXML(doc)
	switch {
	case err != nil:
		return nil, false, err
	case items == nil && value != nil:
		return value, true, nil
	case len(items) == 0:
		return nil, false, nil
	case len(items) == 1 || s.version == XPath10:
		return items[0].value, true, nil
	}
	list := make([]any, len(items))
	for i, it := range items {
		list[i] = it.value
	}
	return list, true, nil
}

// replaceXML is Replace for xpath: the payload is XML text and so is the result.
func (s *Selector) replaceXML(payload, value any) (any, error) {
	text, err := xmlText(value)
	if err != nil {
		return nil, fmt.Errorf("xpath target %q: %w", s.text, err)
	}
	doc, err := parseXML(payload, s.what)
	if err != nil {
		return nil, fmt.Errorf("xpath target %q: %w", s.text, err)
	}
	_, items, err := s.xpath.evaluateXML(doc)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("xpath target %q selects no node of the payload", s.text)
	}
	for _, it := range items {
		switch it.kind {
		case xpath.AttributeNode:
			it.node.SetAttr(it.attr, text)
		case xpath.ElementNode:
			for c := it.node.FirstChild; c != nil; {
				next := c.NextSibling
				xmlquery.RemoveFromTree(c)
				c = next
			}
			if text != "" {
				xmlquery.AddChild(it.node, &xmlquery.Node{Type: xmlquery.TextNode, Data: text})
			}
		case xpath.TextNode:
			it.node.Data = text
		default:
			return nil, fmt.Errorf("xpath target %q selects a node whose value cannot be set (only elements, attributes and text can)", s.text)
		}
	}
	return serializeXML(doc, payload), nil
}

// serializeXML writes the document back as text. The parser adds an XML declaration to a document
// that has none (and hangs the root element under it); the body sent keeps the source's choice.
func serializeXML(doc *xmlquery.Node, source any) string {
	src, _ := source.(string)
	if b, ok := source.([]byte); ok {
		src = string(b)
	}
	if strings.HasPrefix(strings.TrimSpace(src), "<?xml") {
		return doc.OutputXML(false)
	}
	var b strings.Builder
	for c := doc.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == xmlquery.DeclarationNode {
			for e := c.FirstChild; e != nil; e = e.NextSibling {
				b.WriteString(e.OutputXML(true))
			}
			continue
		}
		b.WriteString(c.OutputXML(true))
	}
	return b.String()
}

// xmlText is the text a replacement value becomes in XML.
func xmlText(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case json.Number:
		return t.String(), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(t), nil
	case int64:
		return strconv.FormatInt(t, 10), nil
	}
	return "", fmt.Errorf("the value is %s; an XML payload takes text, a number or a boolean", typeName(v))
}
