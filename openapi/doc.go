// Package openapi loads the OpenAPI 3.0–3.2 source descriptions of an Arazzo
// workflow. It finds operations by operationId or JSON Pointer, expands
// server URLs, and serializes parameters in every OpenAPI style.
//
// # OpenAPI 3.2
//
// 3.2 descriptions are read as 3.0 and 3.1 ones are, by the same loaders.
// What 3.2 adds that trama uses:
//
//   - the query operation (HTTP QUERY) of a path item, and its
//     additionalOperations map of other methods: Operation.Method is the
//     key upper-cased ("COPY"), OperationAt takes
//     "/paths/~1x/additionalOperations/COPY". Keys for methods that have
//     their own field are ignored, as the specification forbids them. In 3.0
//     and 3.1 descriptions neither field holds operations;
//   - parameters in querystring, the whole query string as one value, with
//     the media type of their content in Parameter.ContentType. An operation
//     with two of them, or with one and a parameter in query, breaks a MUST of
//     the specification: Operation refuses it with an error naming the
//     parameters, as it refuses one whose $ref does not resolve, and the rest
//     of the description still loads.
//
// $self, itemSchema and the rest of 3.2 are not read: they change no
// operation, parameter or media-type name.
//
// # Why it does not parse the whole description
//
// A cold `trama run` has about 35 ms and 30 MiB for everything, and Okta's
// descriptions are big: building a yaml.v3 node tree of the 460 KB one takes
// about 40 ms, and kin-openapi's full load of the 3.5 MB one takes about half a
// second. A workflow touches two or three operations. So Load only indexes the
// description, and each operation is decoded the first time it is asked for.
//
// # The outline index (ModeOutline)
//
// For block-style YAML, buildOutline makes one pass over the bytes, line by
// line, keeping a stack of open mapping keys and sequence items by
// indentation. It records the byte range of the keys trama reads:
//
//   - every top-level key (openapi, servers, security, paths, components…);
//   - paths.{path}, paths.{path}.{method} (query included),
//     paths.{path}.additionalOperations.{method}, paths.{path}.parameters and
//     .servers; inside an operation only operationId, parameters,
//     requestBody, servers and security, and inside requestBody its keys and
//     the media-type names under content;
//   - components.{kind}.{name}; for request bodies also their keys and media
//     types, for schemas only $ref, type, format, nullable and items.
//
// The pass follows block scalars (|, >, with indicators), multi-line plain
// scalars (continuation lines are deeper than their key), single- and
// double-quoted scalars across lines, comments, quoted keys, indentless
// sequences ("key:" followed by "- " at the same column) and CRLF. Everything
// else is skipped without allocating, which is why responses, examples and
// most of components cost almost nothing.
//
// Operation then decodes only the small blocks it needs with yaml.v3 (each
// range is a one-key YAML mapping on its own) and follows local $refs through
// the same index, reading a referenced schema or request body key by key.
// Decoded blocks and built operations are cached on the Document.
//
// # When it falls back
//
// The pass gives up (an *unsureError naming the line and construct) on what it
// does not model, and Load then uses kin-openapi for the whole description
// (ModeFull; Document.FallbackReason says why):
//
//   - flow collections that span lines, or that hold keys the outline would
//     index ("/users: {get: …}");
//   - tags (!!str), complex keys (?), directives, several documents;
//   - anchors on keys, and aliases whose anchor is outside the block that will
//     be decoded (an alias inside one decoded block is fine: yaml.v3 resolves it);
//   - external $refs (kin then needs Options.ExternalRefs to follow them);
//   - tabs used as indentation, lone CR or Unicode line breaks;
//   - duplicate keys, merge keys (<<) where keys are indexed, path-item $refs,
//     and indexed keys that YAML reads as non-strings ("200", "true"), which
//     kin would rename.
//
// kin-openapi (v0.152) reads 3.2's query and additionalOperations too, so a 3.2
// description that falls back lists the same operations; the version check
// runs after either loader, and names the versions trama reads.
//
// JSON descriptions never go through the outline: they are split lazily with
// encoding/json (ModeJSON), and go to kin for external $refs, path-item $refs,
// or text that starts with '{' but is a YAML flow mapping.
//
// Path-item $refs in YAML also fall back. A Document keeps the caller's bytes
// (no copy), which is why Load's callers must not reuse the slice.
//
// Because the outline decodes lazily, a syntax error in a part of the
// description no operation touches is not reported; kin would reject the
// file. trama validates workflows, not descriptions, so this is accepted.
//
// Both Okta descriptions load through the outline and agree with kin on every
// operation (TestOktaOutlineAgreesWithKin); FuzzLoad checks the same
// agreement on arbitrary input.
package openapi
