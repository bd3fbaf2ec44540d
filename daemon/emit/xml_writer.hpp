#pragma once
// A streaming XML writer for the emit stage: elements, attributes and text appended straight
// into one std::string, in the layout pugixml's indented save gives ("  " per level, one element
// per line, an element holding only text on one line, `<e a="v" />` for an empty one), so that
// render_atom and render_opml write the same bytes as when they built a pugixml document.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace feedd::emit {

// Appends `text` to `out` as xml_safe_text(text) would give it (malformed UTF-8 → U+FFFD,
// characters outside XML 1.0 Char dropped), escaped as character data the way pugixml escapes
// it: `&amp;`, `&lt;`, `&gt;`; tab, LF, CR and quotes as they are. One pass; runs of bytes that
// need nothing are appended in bulk. Never throws but std::bad_alloc.
void append_xml_text(std::string& out, std::string_view text);

// The same for an attribute value in double quotes, escaped the way pugixml escapes one:
// `&amp;`, `&lt;`, `&quot;`, and tab, LF, CR as `&#09;`, `&#10;`, `&#13;` (so a parser gives
// them back rather than normalising them to spaces); `>` and `'` as they are.
void append_xml_attribute(std::string& out, std::string_view value);

// Writes one document. Element and attribute names are the caller's literals, written as they
// are; every value goes through append_xml_text or append_xml_attribute. Calls must nest: a
// start's attributes before its text or children, text only in an element without children,
// one end per start. Not thread-safe (one writer per document). Throws only std::bad_alloc.
class XmlWriter {
 public:
  // `reserve`: the expected size of the document, to allocate once.
  explicit XmlWriter(std::size_t reserve);

  // `<?xml version="1.0" encoding="utf-8"?>` and a newline; first, once.
  void declaration();
  // Opens element `name` on a line of its own, indented by its depth.
  void start(std::string_view name);
  // An attribute of the element just started (before any text or child).
  void attribute(std::string_view name, std::string_view value);
  // Character data of the open element; successive calls concatenate. An element given text,
  // even "", is written `<e>text</e>`; one given neither text nor children `<e />`.
  void text(std::string_view value);
  // Closes the innermost open element.
  void end();
  // start(name), text(value), end().
  void element(std::string_view name, std::string_view value);

  // The document so far; call once every element is closed.
  std::string take() { return std::move(out_); }

 private:
  struct Open {
    std::string_view name;
    bool children = false;  // has a child element: its end tag goes on its own line
  };
  // Ends the start tag of the innermost element if it is still open (attributes may follow).
  void close_start_tag();
  void indent(std::size_t depth) { out_.append(2 * depth, ' '); }

  std::string out_;
  std::vector<Open> open_;
  bool tag_open_ = false;  // the innermost element's start tag lacks its '>'
};

}  // namespace feedd::emit
