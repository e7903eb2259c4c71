; Nodes the SSOT analysis looks at in a Python syntax tree.
; Capture names are read by server/src/syntax.rs; keep them in step.

(import_statement) @import
(import_from_statement) @import

(call) @call

(string) @string

(comment) @comment

; Every identifier and attribute: the names the fix builders and the rules
; look up (server/src/edits.rs, `TreeIndex`).
(identifier) @identifier
(attribute) @attribute

; __all__ = [...], __all__ += [...]
(assignment
  left: (identifier) @all.target
  right: (_) @all.value
  (#eq? @all.target "__all__"))
(augmented_assignment
  left: (identifier) @all.target
  right: (_) @all.value
  (#eq? @all.target "__all__"))

; __all__.extend([...]) and __all__.append("name")
(call
  function: (attribute
    object: (identifier) @all.target
    attribute: (identifier) @all.method)
  arguments: (argument_list) @all.value
  (#eq? @all.target "__all__")
  (#any-of? @all.method "extend" "append"))
